"""A replay chain: one mapped event as first received plus its replays, corrected as one, never twice.

A raw event (request_id, index) fans out into mapped events by sub_index. The chain of sub_index
k is every row of that raw with sub_index k: the original (replay_of NULL) and the replays
(replay_of = an original of the same raw). What the chain has earned is the net of its award and
correction entries; a replay writes only the difference to what the rules give now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from earning_rules import Evaluation
from storage import entries as entry_store
from storage import events as event_store
from storage import ledger
from storage.database import Connection
from storage.events import EventRow, first_with_client_event_id, insert_event
from storage.locks import lock_profiles


@dataclass(frozen=True)
class Chain:
    first: dict[str, Any]  # the raw's first original row: where a new fan-out item links to
    rows: tuple[dict[str, Any], ...] = ()  # this sub_index's rows by id; empty for a new fan-out item
    existing: dict[tuple[int, str], int] = field(default_factory=dict)  # net points per (profile, rule)
    last_award: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    reversed_by: int | None = None  # the chain event that already reversed another (a refund)

    @property
    def original(self) -> dict[str, Any]:
        return self.rows[0] if self.rows else self.first

    @property
    def latest(self) -> dict[str, Any] | None:
        return self.rows[-1] if self.rows else None

    @property
    def event_ids(self) -> frozenset[int]:
        return frozenset(int(r["id"]) for r in self.rows)

    def keep_origin(self, row: EventRow) -> None:
        """A replay row keeps where and when the original was received."""
        original = self.original
        row.request_id = original["request_id"]
        row.received_at = original["received_at"]
        row.occurred_at = original["received_at"]  # never "now": a replay is not a new event
        row.replay_of = original["id"]


async def load_raw_chains(
    conn: Connection, connector_id: str, request_id: str, index: int
) -> dict[int, Chain]:
    """Every chain of one raw event by sub_index, its rows locked on PostgreSQL against a parallel replay."""
    rows = await event_store.rows_of_raw_event(conn, connector_id, request_id, index)
    originals = [r for r in rows if r["replay_of"] is None]
    if not originals:
        return {}
    ids = [int(r["id"]) for r in rows]
    found = await entry_store.entries_of_events(conn, ids, ("award", "correction", "reversal"))
    by_event: dict[int, list[Any]] = {}
    for entry in found:
        by_event.setdefault(int(entry["event_id"]), []).append(entry)
    chains: dict[int, Chain] = {}
    for sub_index in sorted({int(r["sub_index"]) for r in rows}):
        mine = tuple(r for r in rows if r["sub_index"] == sub_index)
        existing: dict[tuple[int, str], int] = {}
        last_award: dict[tuple[int, str], dict[str, Any]] = {}
        reversed_by: int | None = None
        for row in mine:
            for entry in by_event.get(int(row["id"]), []):
                if entry["kind"] == "reversal":
                    reversed_by = reversed_by or int(row["id"])
                    continue
                key = (int(entry["profile_id"]), str(entry["rule_id"]))
                existing[key] = existing.get(key, 0) + int(entry["points"])
                if entry["kind"] == "award":
                    last_award[key] = dict(entry)
        chains[sub_index] = Chain(originals[0], mine, existing, last_award, reversed_by)
    return chains


async def identical_outside(
    conn: Connection, chain: Chain, connector_id: str, dedupe_key: str, window_seconds: int
) -> int | None:
    """The identical-within-a-window check as of when the original was received, ignoring the chain."""
    if window_seconds <= 0:
        return None
    at = chain.original["received_at"]
    return await event_store.first_identical_processed(
        conn,
        connector_id,
        dedupe_key,
        test=bool(chain.original["test"]),
        start=at - timedelta(seconds=window_seconds),
        end=at,
        excluding=chain.event_ids,
    )


async def claimed_by_chain(
    conn: Connection, chain: Chain, connector_id: str, client_event_id: str
) -> int | None:
    """The chain event holding this clientEventId: the replay is that same event, not a duplicate."""
    if not chain.rows:
        return None
    test = bool(chain.original["test"])
    holder = await first_with_client_event_id(conn, connector_id, client_event_id, test=test)
    return holder if holder is not None and holder in chain.event_ids else None


@dataclass(frozen=True)
class Settlement:
    occurred_at: datetime
    now: datetime
    connector_id: str
    test: bool
    active_rule_ids: frozenset[str]  # only rules active now are re-judged; paused ones keep their past


async def settle(
    conn: Connection,
    chain: Chain,
    desired: Mapping[tuple[int, str], tuple[int, int]],
    *,
    event_id: int,
    base_row: EventRow,
    how: Settlement,
) -> list[dict[str, Any]]:
    """Write, per (profile, rule), what the rules give now (`desired`: points, rule version) minus
    what the chain already has. An entry that starts from nothing is an "award" (it counts as a
    time for limits); one that brings a chain back to nothing withdraws the award it points at.
    """
    others = {k for k in chain.existing if k[1] in how.active_rule_ids} - set(desired)
    keys = sorted(desired) + sorted(others)  # the event's own profile first: its entries go on its row
    written: list[dict[str, Any]] = []
    rows_by_profile: dict[int, int] = {}
    used_rules: set[str] = set()
    for profile_id, rule_id in keys:
        have = chain.existing.get((profile_id, rule_id), 0)
        want, version = desired.get((profile_id, rule_id), (0, None))
        if want == have:
            continue
        last = chain.last_award.get((profile_id, rule_id))
        withdraw = want == 0 and last is not None
        await lock_profiles(conn, [profile_id])  # corrections queue on the member like events do
        target = event_id
        if rule_id in used_rules:
            # One entry per (event, rule): a second profile for this rule (the event moved to
            # another member) takes its correction on a row of its own.
            if profile_id not in rows_by_profile:
                rows_by_profile[profile_id] = await _correction_row(conn, base_row, profile_id)
            target = rows_by_profile[profile_id]
        used_rules.add(rule_id)
        entry = {
            "profile_id": profile_id,
            "points": want - have,
            "kind": "award" if have == 0 else "correction",
            "rule_id": rule_id,
            "rule_version": version if version is not None else (last or {}).get("rule_version"),
            "event_id": target,
            "connector_id": how.connector_id,
            "reverses_entry_id": last["id"] if withdraw and last else None,
            "reason": f"replay of event {chain.original['id']}",
            "test": how.test,
            # A withdrawal lands in the same limit window as the award it takes back.
            "occurred_at": last["occurred_at"] if withdraw and last else how.occurred_at,
            "created_at": how.now,
        }
        entry_id = await ledger.add_entry(conn, entry)
        written.append(
            {
                "entryId": entry_id,
                "eventId": target,
                "profileId": profile_id,
                "ruleId": rule_id,
                "ruleVersion": entry["rule_version"],
                "kind": entry["kind"],
                "points": entry["points"],
                "before": have,
                "after": want,
            }
        )
    return written


def desired_of(evaluation: Evaluation, profile_id: int) -> dict[tuple[int, str], tuple[int, int]]:
    return {(profile_id, a.rule_id): (a.points, a.rule_version) for a in evaluation.awards}


async def _correction_row(conn: Connection, base_row: EventRow, profile_id: int) -> int:
    reason = f"replay correction for profile {profile_id}: the replayed event now belongs to another profile"
    row = replace(
        base_row,
        id=None,
        mapped=None,
        client_event_id=None,
        dedupe_key=None,
        profile_id=profile_id,
        status="processed",
        reason=reason,
        duplicate_of=None,
        trace=[{"step": "replay", "replayOf": base_row.replay_of, "correction": reason}],
    )
    return await insert_event(conn, row)
