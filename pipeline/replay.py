"""Replay: the kept raw events of a connector, mapped again with its current mapping and judged by the
current rules, each written as a new event linked to the original (`replay_of`).

Exactly once: a replay writes only the difference between what the rules give now and what the
event's chain (the original and its earlier replays) already earned (see pipeline/chain.py). A
preview runs the very same code in one transaction and rolls it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread

import event_types
from connectors.auth import parse_auth_settings
from errors import NotFound
from mapping import compile_cached
from pipeline.awards import load_rules
from pipeline.chain import Chain, load_raw_chains, settle
from pipeline.context import ConnectorSnapshot, IngestRequest, RunContext, WorkItem
from pipeline.enhance import enhanced_items
from pipeline.process import process_item
from pipeline.receive import _map_all
from pipeline.replay_awards import settlement
from pipeline.replay_chunks import plan_chunks
from pipeline.replay_summary import answer, balance_changes
from settings import Settings
from storage import connectors as connector_store
from storage import entries as entry_store
from storage import event_types as event_type_store
from storage.database import Connection, Database
from storage.events import EventRow, get_event
from storage.replays import RawEvent, log_admin_action, select_raw_events

REPLAYABLE = ("processed", "ignored", "parked", "rejected", "failed")
PREVIEW_CHUNK = 100  # raw events per preview transaction (a group that must stay together may be more)


@dataclass(frozen=True)
class ReplayFilter:
    since: datetime | None = None
    until: datetime | None = None
    statuses: frozenset[str] = frozenset(REPLAYABLE)
    limit: int = 1000
    after: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "statuses": sorted(self.statuses),
            "limit": self.limit,
            "after": self.after,
        }


@dataclass
class _Run:
    results: list[dict[str, Any]] = field(default_factory=list)
    deltas: dict[tuple[int, bool], int] = field(default_factory=dict)
    created: set[int] = field(default_factory=set)


async def replay(
    db: Database, settings: Settings, connector_id: str, f: ReplayFilter, *, apply: bool
) -> dict[str, Any]:
    now = datetime.now(UTC)
    ctx = await _context(db, settings, connector_id, now)
    if not apply:
        return {"applied": False, **await _preview(db, ctx, f)}
    run = _Run()
    async with db.read() as conn:
        raws, more = await select_raw_events(conn, connector_id, **_selection(f))
    for raw in raws:
        async with db.write() as conn:  # one raw event, one transaction: a crash loses no half-replay
            await _replay_raw(conn, ctx, raw, run)
    async with db.write() as conn:
        body = await _summary(conn, run, raws, more)
        details = {"filter": f.to_json(), "counts": body["counts"], "pointsDelta": body["pointsDelta"]}
        body["adminLogId"] = await log_admin_action(conn, "replay", connector_id, details, now)
    return {"applied": True, **body}


async def replay_raws(
    db: Database, settings: Settings, connector_id: str, raws: list[RawEvent]
) -> list[dict[str, Any]]:
    """These raw events of one connector replayed for real, one transaction each (how parked
    events are released: pipeline/parked.py). Their results, as a replay lists them."""
    ctx = await _context(db, settings, connector_id, datetime.now(UTC))
    run = _Run()
    for raw in raws:
        async with db.write() as conn:
            await _replay_raw(conn, ctx, raw, run)
    return run.results


async def _preview(db: Database, ctx: RunContext, f: ReplayFilter) -> dict[str, Any]:
    """The replay as applying it would go, rolled back: in chunks of raw events that cannot affect
    each other (see pipeline/replay_chunks.py), one short transaction each, so live traffic is
    not held up (SQLite's single writer, PostgreSQL's row locks) while a large preview runs."""
    async with db.read() as conn:
        raws, more = await select_raw_events(conn, ctx.snapshot.id, **_selection(f))
        chunks = await plan_chunks(conn, ctx, raws, PREVIEW_CHUNK)
    by_position: dict[int, list[dict[str, Any]]] = {}
    changes: list[dict[str, Any]] = []
    for chunk in chunks:
        run = _Run()
        async with db.rolled_back() as conn:
            for position in chunk:
                start = len(run.results)
                await _replay_raw(conn, ctx, raws[position], run)
                by_position[position] = run.results[start:]
            changes.extend(await _changes(conn, run))
        for result in run.results:
            _forget_rolled_back(result, run.created)
        await anyio.sleep(0)  # let writers that queued behind this chunk go first
    results = [r for position in range(len(raws)) for r in by_position.get(position, [])]
    changes.sort(key=lambda c: (c["profileId"] is None, c["profileId"] or 0, c["value"] or "", c["test"]))
    for change in changes:
        if change["newProfile"]:
            change["profileId"] = None
    return answer(results, changes, raws, more)


def _forget_rolled_back(result: dict[str, Any], created: set[int]) -> None:
    """A preview's events, entries and new profiles were rolled back: their ids are null."""
    result["eventId"] = None
    if result["profileId"] in created:
        result["profileId"] = None
    for entry in result["entries"]:
        entry.update(entryId=None, eventId=None)
        if entry["profileId"] in created:
            entry["profileId"] = None
    for done in result.get("reactions") or []:  # the grants, issues and messages were rolled back too
        for key in ("memberBadgeId", "issuedRewardId", "code", "messageId"):
            if key in done:
                done[key] = None


def _selection(f: ReplayFilter) -> dict[str, Any]:
    return {"since": f.since, "until": f.until, "statuses": f.statuses, "limit": f.limit, "after": f.after}


async def _context(db: Database, settings: Settings, connector_id: str, now: datetime) -> RunContext:
    async with db.read() as conn:
        row = await connector_store.get_connector(conn, connector_id)
        if row is None:
            raise NotFound(f"no connector {connector_id!r}", code="unknown_connector")
        type_row = await event_type_store.get_event_type(conn, row["event_type"])
        rules = await load_rules(conn, frozenset({"active"}))
    mapping = compile_cached(row["mapping"], **settings.mapping_bounds)
    snapshot = ConnectorSnapshot(row, parse_auth_settings(row["auth"]), (), mapping)
    # The replay's own clock: entries and new profiles are created now; events keep their own times.
    request = IngestRequest(connector_id, "REPLAY", {}, {}, b"", None, now)
    schema = dict(type_row["json_schema"]) if type_row else event_types.BUILTIN["custom.basic"]["schema"]
    # No date bounds (each event was judged when it arrived); the same enhancers as then.
    enhancers = tuple(type_row["enhancers"] or ()) if type_row else ()
    return RunContext(
        settings,
        snapshot,
        request,
        False,
        row["event_type"],
        schema,
        rules,
        frozenset({"active"}),
        enhancers=enhancers,
    )


async def _replay_raw(conn: Connection, ctx: RunContext, raw: RawEvent, run: _Run) -> None:
    chains = await load_raw_chains(conn, ctx.snapshot.id, raw.request_id, raw.index)
    if not chains:
        return
    first = next(iter(chains.values())).first
    ctx = replace(ctx, test=bool(first["test"]))  # test events stay test events
    # The mapping sees the original request's $headers and $query as kept (credentials left out).
    seen = replace(ctx.request, headers=raw.headers, query=raw.query, path=raw.path)
    items = await anyio.to_thread.run_sync(_map_all, ctx.snapshot, seen, [first["raw"]])
    # Enhanced as when it arrived: its own time, and the dice it rolled then.
    earlier = {sub: chain.original.get("mapped") for sub, chain in chains.items()}
    items = enhanced_items(items, ctx.enhancers, raw.received_at, ctx.settings.tz, earlier)
    produced = set()
    for item in items:
        produced.add(item.sub_index)
        chain = chains.get(item.sub_index) or Chain(first=first)
        run.results.append(await _replay_item(conn, ctx, replace(item, index=raw.index, chain=chain), run))
    for sub_index, chain in sorted(chains.items()):
        if sub_index not in produced and chain.latest is not None:
            run.results.append(
                _unchanged(
                    chain, "the current mapping no longer produces this mapped event; its points are kept"
                )
            )


async def _replay_item(conn: Connection, ctx: RunContext, item: WorkItem, run: _Run) -> dict[str, Any]:
    chain = item.chain
    assert chain is not None
    savepoint = await conn.begin_nested()
    result = await process_item(conn, ctx, item)
    row = await get_event(conn, result["eventId"])
    assert row is not None
    if result["status"] == "duplicate" and chain.existing:
        # It now repeats another event, which earns for it: what this chain earned is taken back.
        await settle(
            conn,
            chain,
            {},
            event_id=row["id"],
            base_row=EventRow.of(row),
            how=settlement(ctx, row["occurred_at"]),
        )
    written = await _written(conn, int(row["replay_of"]), int(row["id"]))
    latest = chain.latest
    same = latest is not None and all(
        latest[k] == row[k] for k in ("status", "reason", "profile_id", "mapped", "client_event_id")
    )
    if same and not written:
        await savepoint.rollback()  # nothing changes: keep the event log free of no-op replays
        return _unchanged(chain)
    await savepoint.commit()
    for entry in written:
        key = (int(entry["profile_id"]), bool(entry["test"]))
        run.deltas[key] = run.deltas.get(key, 0) + int(entry["points"])
    profile = result.get("profile") or {}
    if profile.get("created"):
        run.created.add(int(profile["id"]))
    body = {
        "originalEventId": chain.original["id"] if chain.rows else None,
        "replayOf": row["replay_of"],
        "subIndex": row["sub_index"],
        "previousStatus": latest["status"] if latest else None,
        "eventId": row["id"],
        "status": row["status"],
        "reason": row["reason"],
        "profileId": row["profile_id"],
        "unchanged": False,
        "entries": [_entry_json(e) for e in written],
    }
    reacted = [r for a in result.get("awards") or [] for r in a.get("reactions") or []]
    if reacted:  # what the rules' reactions did for the awards this replay made anew
        body["reactions"] = reacted
    kept = sum(chain.existing.values())
    if row["status"] not in ("processed", "duplicate") and kept:
        body["note"] = f"the replay did not process this event; the {kept} points it earned are kept"
    return body


async def _written(conn: Connection, replay_of: int, from_id: int) -> list[dict[str, Any]]:
    """Every ledger entry this replay item wrote: on its row and on any correction row after it."""
    return await entry_store.entries_of_replay(conn, replay_of, from_id)


def _entry_json(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "entryId": entry["id"],
        "eventId": entry["event_id"],
        "profileId": entry["profile_id"],
        "ruleId": entry["rule_id"],
        "kind": entry["kind"],
        "points": entry["points"],
    }


def _unchanged(chain: Chain, note: str | None = None) -> dict[str, Any]:
    latest = chain.latest or chain.first
    body = {
        "originalEventId": chain.original["id"],
        "replayOf": chain.original["id"],
        "subIndex": latest["sub_index"],
        "previousStatus": latest["status"],
        "eventId": None,
        "status": latest["status"],
        "reason": latest["reason"],
        "profileId": latest["profile_id"],
        "unchanged": True,
        "entries": [],
    }
    if note:
        body["note"] = note
    return body


async def _summary(
    conn: Connection, run: _Run, raws: list[RawEvent], more: RawEvent | None
) -> dict[str, Any]:
    return answer(run.results, await _changes(conn, run), raws, more)


async def _changes(conn: Connection, run: _Run) -> list[dict[str, Any]]:
    return await balance_changes(conn, run.deltas, run.created)
