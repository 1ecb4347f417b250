"""The points ledger: append-only entries and the balances that always equal their sum."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, or_, select, union_all
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
    """Every (profile, ledger) whose stored balance or lifetime differs from its entries.

    `balance` must equal the sum of the entries, `lifetime` the sum of the positive ones (that is
    what `move_balance` adds, and what a purge takes back). The sums and the stored balances are
    read in ONE statement, so on PostgreSQL they come from one snapshot even under READ COMMITTED:
    an event committing between two separate reads would otherwise show as a false mismatch.
    """
    gained = case((entries.c.points > 0, entries.c.points), else_=0)
    sums = (
        select(
            entries.c.profile_id.label("profile_id"),
            entries.c.test.label("test"),
            func.sum(entries.c.points).label("total"),
            func.sum(gained).label("gained"),
        )
        .group_by(entries.c.profile_id, entries.c.test)
        .cte("sums")
    )
    total, positive = func.coalesce(sums.c.total, 0), func.coalesce(sums.c.gained, 0)
    stored_side = (
        select(
            balances.c.profile_id, balances.c.test, balances.c.balance, balances.c.lifetime, total, positive
        )
        .select_from(
            balances.outerjoin(
                sums, and_(sums.c.profile_id == balances.c.profile_id, sums.c.test == balances.c.test)
            )
        )
        .where(or_(balances.c.balance != total, balances.c.lifetime != positive))
    )
    no_balance_row = ~exists().where(
        balances.c.profile_id == sums.c.profile_id, balances.c.test == sums.c.test
    )
    entries_side = select(
        sums.c.profile_id, sums.c.test, literal(0), literal(0), sums.c.total, sums.c.gained
    ).where(no_balance_row, or_(sums.c.total != 0, sums.c.gained != 0))
    rows = (await conn.execute(union_all(stored_side, entries_side))).all()
    problems = []
    for profile_id, test, balance, lifetime, sum_total, sum_gained in rows:
        problem: dict[str, Any] = {
            "profileId": int(profile_id),
            "test": bool(test),
            "balance": int(balance),
            "sumOfEntries": int(sum_total),
        }
        if int(lifetime) != int(sum_gained):  # named only when it is off, so the usual shape stays
            problem.update(lifetime=int(lifetime), sumOfPositiveEntries=int(sum_gained))
        problems.append(problem)
    return sorted(problems, key=lambda p: (p["profileId"], p["test"]))
