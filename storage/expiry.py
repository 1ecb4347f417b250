"""Points expiry in storage: the program's policy, a member's entries as lots see them, and the
members who hold points old enough to have expired."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from expiry.lots import Entry
from storage.dialect import insert
from storage.driver import RawTransaction, read_time
from storage.ledger import entries
from storage.tables import ProgramSetting

settings_table = ProgramSetting.__table__  # type: ignore[attr-defined]
POLICY_KEY = "expiry_policy"
EARNING_KINDS = ("award", "correction", "adjustment", "refund")  # kinds that can open a lot


async def get_policy(conn: AsyncConnection) -> Any:
    found = await conn.execute(select(settings_table.c.value).where(settings_table.c.key == POLICY_KEY))
    row = found.first()
    return None if row is None else row[0]


async def set_policy(conn: AsyncConnection, value: dict[str, Any], now: datetime) -> None:
    stmt = insert(conn, settings_table).values(key=POLICY_KEY, value=value, updated_at=now)
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value, "updated_at": now})
    )


async def member_entries(tx: RawTransaction, profile_id: int, test: bool) -> list[Entry]:
    rows = await tx.fetch(
        "SELECT id, points, kind, occurred_at, created_at, reverses_entry_id FROM points_entries "
        "WHERE profile_id = ? AND test = ? ORDER BY created_at, id",
        [profile_id, test],
    )
    return [
        Entry(
            int(r[0]),
            int(r[1]),
            str(r[2]),
            read_time(r[3]),
            read_time(r[4]),
            None if r[5] is None else int(r[5]),
        )
        for r in rows
    ]


async def refunds_of(tx: RawTransaction, profile_id: int, test: bool) -> dict[int, int]:
    """{refund entry: the purchase entry it gives back} for the member's cancelled purchases."""
    rows = await tx.fetch(
        "SELECT refund_entry_id, spend_entry_id FROM issued_rewards WHERE profile_id = ? AND test = ? "
        "AND refund_entry_id IS NOT NULL AND spend_entry_id IS NOT NULL",
        [profile_id, test],
    )
    return {int(r[0]): int(r[1]) for r in rows}


async def holders_of_old_points(
    conn: AsyncConnection, earned_before: datetime, *, after: tuple[int, bool], limit: int
) -> list[tuple[int, bool]]:
    """(member, test) with points earned before `earned_before`, in order, after `after`."""
    pid, test = entries.c.profile_id, entries.c.test
    rows = await conn.execute(
        select(pid, test)
        .where(
            entries.c.kind.in_(EARNING_KINDS),
            entries.c.points > 0,
            entries.c.occurred_at < earned_before,
            # after (member, test) in (member, live before test) order
            pid > after[0] if after[1] else (pid > after[0]) | and_(pid == after[0], test.is_(True)),
        )
        .group_by(pid, test)
        .order_by(pid, test)
        .limit(limit)
    )
    return [(int(r[0]), bool(r[1])) for r in rows]


async def holders_of_expiries(conn: AsyncConnection) -> list[tuple[int, bool]]:
    """(member, test) with an expiry entry: the ones whose lots the ledger check verifies."""
    rows = await conn.execute(
        select(entries.c.profile_id, entries.c.test)
        .where(entries.c.kind == "expiry")
        .group_by(entries.c.profile_id, entries.c.test)
        .order_by(entries.c.profile_id, entries.c.test)
    )
    return [(int(r[0]), bool(r[1])) for r in rows]


async def identity_of(tx: RawTransaction, profile_id: int) -> tuple[str, str] | None:
    found = await tx.fetch("SELECT kind, value FROM profiles WHERE id = ?", [profile_id])
    return (str(found[0][0]), str(found[0][1])) if found else None
