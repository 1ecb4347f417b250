"""Reading the ledger's entries: a member's page, an event's awards, what refunds took back, the
entries of events and replays, and the members a batch's refunds reach (to lock with it)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.events import client_event_ids as claims
from storage.events import events
from storage.ledger import entries
from storage.tables import RuleVersion

rule_versions = RuleVersion.__table__  # type: ignore[attr-defined]


async def entries_page(
    conn: AsyncConnection, profile_id: int, *, test: bool, before: int, limit: int
) -> list[Any]:
    """A member's entries, newest first: `limit` of them, with ids below `before` (0: the newest)."""
    t = entries
    query = select(t).where(t.c.profile_id == profile_id, t.c.test == test)
    if before:
        query = query.where(t.c.id < before)
    return list((await conn.execute(query.order_by(t.c.id.desc()).limit(limit))).all())


async def awards_of_event(conn: AsyncConnection, event_id: int) -> list[dict[str, Any]]:
    """An event's awards as its answer gives them: rule id, version, name, points, entry id."""
    versions = rule_versions
    rows = await conn.execute(
        select(
            entries.c.id, entries.c.rule_id, entries.c.rule_version, entries.c.points, versions.c.definition
        )
        .select_from(
            entries.outerjoin(
                versions,
                (versions.c.rule_id == entries.c.rule_id) & (versions.c.version == entries.c.rule_version),
            )
        )
        .where(entries.c.event_id == event_id, entries.c.kind == "award")
        .order_by(entries.c.id)
    )
    return [
        {
            "ruleId": r.rule_id,
            "ruleVersion": r.rule_version,
            "name": (r.definition or {}).get("name"),
            "points": r.points,
            "entryId": r.id,
        }
        for r in rows
    ]


async def entries_of_events(
    conn: AsyncConnection, event_ids: Collection[int], kinds: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """These events' entries (of these kinds; None: of every kind), in id order."""
    query = select(entries).where(entries.c.event_id.in_(sorted(event_ids)))
    if kinds is not None:
        query = query.where(entries.c.kind.in_(list(kinds)))
    return [dict(r) for r in (await conn.execute(query.order_by(entries.c.id))).mappings()]


async def entries_of_replay(conn: AsyncConnection, replay_of: int, from_id: int) -> list[dict[str, Any]]:
    """Every entry a replay item wrote: on its row and on any correction row after it."""
    mine = select(events.c.id).where(events.c.replay_of == replay_of, events.c.id >= from_id)
    rows = await conn.execute(select(entries).where(entries.c.event_id.in_(mine)))
    return [dict(r) for r in rows.mappings()]


async def awards_of(conn: AsyncConnection, event_id: int, *, test: bool) -> list[Any]:
    """An event's award entries in its ledger (test or live), in id order."""
    query = select(entries).where(
        entries.c.event_id == event_id, entries.c.kind == "award", entries.c.test == test
    )
    return list((await conn.execute(query.order_by(entries.c.id))).all())


async def taken_from(
    conn: AsyncConnection, award_ids: Collection[int], *, test: bool
) -> dict[int, tuple[int, int]]:
    """What later entries took back from each award (≤ 0): in all, and by refunds alone. An award
    nothing took from is not in the answer."""
    if not award_ids:
        return {}
    rows = await conn.execute(  # ix_points_reverses_entry
        select(
            entries.c.reverses_entry_id,
            func.coalesce(func.sum(entries.c.points), 0),
            func.coalesce(func.sum(entries.c.points).filter(entries.c.kind == "reversal"), 0),
        )
        .where(entries.c.reverses_entry_id.in_(sorted(award_ids)), entries.c.test == test)
        .group_by(entries.c.reverses_entry_id)
    )
    return {int(award): (int(taken), int(by_refunds)) for award, taken, by_refunds in rows}


def awarded_by_claimed(*, connector_id: str, client_event_ids: Collection[str], test: bool) -> Any:
    """A subquery: the members awarded by the events holding these clientEventIds (a batch's
    refunds name them; they are locked with the batch's own members, in id order)."""
    claimed = select(claims.c.event_id).where(
        claims.c.connector_id == connector_id,
        claims.c.test == test,
        claims.c.client_event_id.in_(sorted(client_event_ids)),
    )
    return select(entries.c.profile_id).where(entries.c.event_id.in_(claimed), entries.c.kind == "award")
