"""The points ledger: append-only entries and the balances that always equal their sum."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import insert
from storage.tables import Balance, PointsEntry

entries = PointsEntry.__table__  # type: ignore[attr-defined]
balances = Balance.__table__  # type: ignore[attr-defined]


async def add_entry(conn: AsyncConnection, row: dict[str, Any]) -> int | None:
    """Append one entry and move the balance with it. None if (event, rule) already earned.

    The unique constraint on (event_id, rule_id) makes a second award impossible, whatever the
    caller believed; the balance moves only when the entry really went in.
    """
    stmt = insert(conn, entries).values(**row)
    if row.get("event_id") is not None and row.get("rule_id") is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["event_id", "rule_id", "kind"])
    entry_id = (await conn.execute(stmt.returning(entries.c.id))).scalar_one_or_none()
    if entry_id is None:
        return None
    await move_balance(conn, row["profile_id"], row["points"], test=row["test"], now=row["created_at"])
    return int(entry_id)


async def move_balance(
    conn: AsyncConnection, profile_id: int, points: int, *, test: bool, now: datetime
) -> None:
    gained = max(points, 0)
    stmt = insert(conn, balances).values(
        profile_id=profile_id, test=test, balance=points, lifetime=gained, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["profile_id", "test"],
        set_={
            "balance": balances.c.balance + points,
            "lifetime": balances.c.lifetime + gained,
            "updated_at": now,
        },
    )
    await conn.execute(stmt)


async def balance_of(conn: AsyncConnection, profile_id: int, *, test: bool) -> tuple[int, int]:
    row = (
        await conn.execute(
            select(balances.c.balance, balances.c.lifetime).where(
                balances.c.profile_id == profile_id, balances.c.test == test
            )
        )
    ).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


async def rule_usage(
    conn: AsyncConnection,
    *,
    rule_id: str,
    profile_id: int | None,
    start: datetime | None,
    end: datetime | None,
    test: bool,
    exclude_event_ids: Collection[int] = (),
) -> tuple[int, int]:
    """(times awarded, points awarded) by one rule, all versions, by event time in [start, end).

    Replay corrections count too: a "correction" moves the points, and one that withdraws an
    award entirely (it points at it with `reverses_entry_id`) gives its time back. A replay
    passes its own chain's events in `exclude_event_ids`, so an event never limits itself.
    """
    times = case(
        (entries.c.kind == "award", 1),
        (entries.c.reverses_entry_id.is_not(None), -1),
        else_=0,
    )
    query = select(func.coalesce(func.sum(times), 0), func.coalesce(func.sum(entries.c.points), 0)).where(
        entries.c.rule_id == rule_id, entries.c.kind.in_(("award", "correction")), entries.c.test == test
    )
    if profile_id is not None:
        query = query.where(entries.c.profile_id == profile_id)
    if start is not None:
        query = query.where(entries.c.occurred_at >= start)
    if end is not None:
        query = query.where(entries.c.occurred_at < end)
    if exclude_event_ids:
        excluded = entries.c.event_id.not_in(list(exclude_event_ids))
        query = query.where(or_(entries.c.event_id.is_(None), excluded))
    times_used, points = (await conn.execute(query)).one()
    return int(times_used), int(points)


async def mismatched_balances(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every (profile, ledger) whose stored balance differs from the sum of its entries."""
    totals: dict[tuple[int, bool], int] = {}
    rows = await conn.execute(
        select(entries.c.profile_id, entries.c.test, func.sum(entries.c.points)).group_by(
            entries.c.profile_id, entries.c.test
        )
    )
    for profile_id, test, total in rows:
        totals[(int(profile_id), bool(test))] = int(total)
    stored: dict[tuple[int, bool], int] = {}
    for profile_id, test, balance in await conn.execute(
        select(balances.c.profile_id, balances.c.test, balances.c.balance)
    ):
        stored[(int(profile_id), bool(test))] = int(balance)
    problems = []
    for key in sorted(set(totals) | set(stored)):
        if totals.get(key, 0) != stored.get(key, 0):
            problems.append(
                {
                    "profileId": key[0],
                    "test": key[1],
                    "balance": stored.get(key, 0),
                    "sumOfEntries": totals.get(key, 0),
                }
            )
    return problems
