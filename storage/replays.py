"""What a replay selects: a connector's raw events in a time range, by the current status of their events.

A raw event is (request_id, index). Each of its mapped events has a chain of rows: the original
(replay_of NULL) and its replays; the chain's current status is that of its newest row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import pairs_in
from storage.events import events
from storage.profiles import profiles
from storage.tables import AdminLog, RequestLog

admin_log = AdminLog.__table__  # type: ignore[attr-defined]
requests_table = RequestLog.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RawEvent:
    first_id: int  # the raw's first original row
    request_id: str
    index: int
    received_at: datetime
    raw: Any
    # What the mapping saw as $headers and $query (credentials left out); empty for requests
    # logged before migration 0003 kept them.
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    path: str = ""  # the SDK path the request came to ($path)


async def select_raw_events(
    conn: AsyncConnection,
    connector_id: str,
    *,
    since: datetime | None,
    until: datetime | None,
    statuses: frozenset[str],
    limit: int,
    after: int | None = None,
) -> tuple[list[RawEvent], RawEvent | None]:
    """The raw events to replay, oldest first, at most `limit`; and the next one left out, if any.

    A raw event qualifies when one of its chains started as something other than a duplicate
    and its current status is one of `statuses`. `after` (the `first_id` of the last raw event of
    a previous call) continues exactly where that call stopped.
    """
    chosen: list[RawEvent] = []
    after = after or 0  # a cursor: only raw events whose first row comes after this event id
    page = 500
    while len(chosen) <= limit:
        # Every raw event has an original row with sub_index 0 (the first mapped event or the failure).
        query = select(
            events.c.id, events.c.request_id, events.c.index, events.c.received_at, events.c.raw
        ).where(
            events.c.connector_id == connector_id,
            events.c.replay_of.is_(None),
            events.c.sub_index == 0,
            events.c.id > after,
            events.c.raw.is_not(None),  # pruned by retention (storage/retention.py): nothing to replay
        )
        if since is not None:
            query = query.where(events.c.received_at >= since)
        if until is not None:
            query = query.where(events.c.received_at < until)
        firsts = (await conn.execute(query.order_by(events.c.id).limit(page))).mappings().all()
        if not firsts:
            break
        after = int(firsts[-1]["id"])
        current = await _current_statuses(conn, connector_id, [(r["request_id"], r["index"]) for r in firsts])
        picked = [r for r in firsts if current.get((r["request_id"], r["index"]), set()) & statuses]
        inputs = await request_inputs(conn, {r["request_id"] for r in picked})
        for r in picked:
            seen_headers, seen_query, seen_path = inputs.get(r["request_id"], ({}, {}, ""))
            chosen.append(
                RawEvent(
                    int(r["id"]),
                    r["request_id"],
                    int(r["index"]),
                    r["received_at"],
                    r["raw"],
                    seen_headers,
                    seen_query,
                    seen_path,
                )
            )
        if len(firsts) < page:
            break
    return chosen[:limit], chosen[limit] if len(chosen) > limit else None


async def request_inputs(
    conn: AsyncConnection, request_ids: set[str]
) -> dict[str, tuple[dict[str, str], dict[str, str], str]]:
    """The kept headers, query and SDK path of each request (empty when its log row has none)."""
    if not request_ids:
        return {}
    t = requests_table
    rows = await conn.execute(
        select(t.c.id, t.c.headers, t.c.query, t.c.path).where(t.c.id.in_(sorted(request_ids)))
    )
    return {r.id: (dict(r.headers or {}), dict(r.query or {}), r.path or "") for r in rows}


async def _current_statuses(
    conn: AsyncConnection, connector_id: str, raws: list[tuple[str, int]]
) -> dict[tuple[str, int], set[str]]:
    rows = await conn.execute(
        select(
            events.c.request_id,
            events.c.index,
            events.c.sub_index,
            events.c.status,
            events.c.replay_of,
            events.c.connector_id,
        )
        # The connector is checked below, not in SQL: with it there SQLite searched all the
        # connector's events (ix_events_connector_time) instead of these requests'.
        .where(pairs_in(events.c.request_id, events.c.index, raws))
        .order_by(events.c.id)
    )
    newest: dict[tuple[str, int, int], str] = {}
    started_duplicate: set[tuple[str, int, int]] = set()
    for r in rows.mappings():
        if r["connector_id"] != connector_id:
            continue
        key = (r["request_id"], int(r["index"]), int(r["sub_index"]))
        if r["replay_of"] is None and r["status"] == "duplicate":
            started_duplicate.add(key)
        newest[key] = r["status"]
    current: dict[tuple[str, int], set[str]] = {}
    for key, status in newest.items():
        if key not in started_duplicate:  # a repeat of another event is never replayed into one
            current.setdefault(key[:2], set()).add(status)
    return current


async def log_admin_action(
    conn: AsyncConnection, action: str, connector_id: str | None, details: dict[str, Any], now: datetime
) -> int:
    result = await conn.execute(
        admin_log.insert()
        .values(action=action, connector_id=connector_id, details=details, created_at=now)
        .returning(admin_log.c.id)
    )
    return int(result.scalar_one())


async def parked_ready(conn: AsyncConnection, *, limit: int) -> list[tuple[str, RawEvent]]:
    """Parked raw events whose member now exists (registered, or another member's identity), not
    released yet, oldest first: (connector id, the raw event as a replay takes it)."""
    later = events.alias("later")
    query = (
        select(events.c.id, events.c.connector_id, events.c.request_id, events.c.index, events.c.mapped)
        .where(
            events.c.status == "parked",
            events.c.replay_of.is_(None),
            ~exists().where(later.c.replay_of == events.c.id),
        )
        .order_by(events.c.id)
        .limit(limit)
    )
    parked = (await conn.execute(query)).mappings().all()
    identities = {one for r in parked if (one := _identity_of(r["mapped"])) is not None}
    if not identities:
        return []
    known = {
        (r.kind, r.value)
        for r in await conn.execute(
            select(profiles.c.kind, profiles.c.value).where(
                pairs_in(profiles.c.kind, profiles.c.value, identities)
            )
        )
    }
    ready = [r for r in parked if _identity_of(r["mapped"]) in known]
    # The raw event's first row (sub_index 0) is what a replay starts from.
    raws = {(r["connector_id"], r["request_id"], r["index"]) for r in ready}
    out: list[tuple[str, RawEvent]] = []
    for connector_id, request_id, index in sorted(raws):
        first = (
            await conn.execute(
                select(events.c.id, events.c.received_at, events.c.raw).where(
                    events.c.connector_id == connector_id,
                    events.c.request_id == request_id,
                    events.c.index == index,
                    events.c.sub_index == 0,
                    events.c.replay_of.is_(None),
                )
            )
        ).first()
        if first is None or first.raw is None:
            continue
        inputs = await request_inputs(conn, {request_id})
        headers, query_, path = inputs.get(request_id, ({}, {}, ""))
        raw = RawEvent(int(first.id), request_id, index, first.received_at, first.raw, headers, query_, path)
        out.append((connector_id, raw))
    return out


def _identity_of(mapped: Any) -> tuple[str, str] | None:
    profile = mapped.get("profile") if isinstance(mapped, dict) else None
    if not isinstance(profile, dict) or not isinstance(profile.get("value"), str):
        return None
    return str(profile.get("kind") or "default"), profile["value"]
