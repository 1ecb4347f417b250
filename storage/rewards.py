"""The rewards catalog and the rewards members have.

The catalog is admin CRUD (SQLAlchemy Core). Issuing, cancelling and redeeming are plain SQL
over a RawTransaction (storage/driver.py), so the group writer (a rule's `reward` reaction) and
the admin API (a purchase) run the same statements. Locks, in the order every writer takes them:
the member (profiles row) first, then the rewards by id; on PostgreSQL FOR UPDATE, on SQLite the
single writer.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import insert as upsert
from storage.driver import RawTransaction, json_text, read_time
from storage.tables import IssuedReward, RewardItem

rewards = RewardItem.__table__  # type: ignore[attr-defined]
issued_rewards = IssuedReward.__table__  # type: ignore[attr-defined]

_REWARD_COLUMNS = (
    "id", "name", "cost", "stock", "issued", "limit_max", "limit_period", "available_from",
    "available_until", "valid_days", "status",
)  # fmt: skip
_ISSUED_COLUMNS = (
    "id", "reward_id", "profile_id", "test", "code", "status", "source", "cost", "spend_entry_id",
    "refund_entry_id", "rule_id", "rule_version", "event_id", "issued_at", "expires_at", "updated_at",
    "history",
)  # fmt: skip
_TIMES = {"available_from", "available_until", "issued_at", "expires_at", "updated_at"}


# --- the catalog -----------------------------------------------------------------------------


async def insert_reward(conn: AsyncConnection, row: dict[str, Any]) -> bool:
    """False when the name is taken."""
    done = await conn.execute(upsert(conn, rewards).values(**row).on_conflict_do_nothing())
    return bool(done.rowcount)


async def list_rewards(conn: AsyncConnection, *, status: str | None = None) -> list[dict[str, Any]]:
    query = select(rewards).order_by(rewards.c.created_at, rewards.c.id)
    if status:
        query = query.where(rewards.c.status == status)
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def get_reward(conn: AsyncConnection, reward_id: str) -> dict[str, Any] | None:
    found = (await conn.execute(select(rewards).where(rewards.c.id == reward_id))).mappings().first()
    return None if found is None else dict(found)


async def name_taken(conn: AsyncConnection, name: str, *, other_than: str | None = None) -> bool:
    query = select(rewards.c.id).where(rewards.c.name == name)
    if other_than is not None:
        query = query.where(rewards.c.id != other_than)
    return (await conn.execute(query)).first() is not None


async def update_reward(conn: AsyncConnection, reward_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(rewards).where(rewards.c.id == reward_id).values(**values))


async def existing_ids(conn: AsyncConnection, ids: Collection[str]) -> set[str]:
    rows = await conn.execute(select(rewards.c.id).where(rewards.c.id.in_(sorted(ids))))
    return {r[0] for r in rows}


async def issued_of_member(conn: AsyncConnection, profile_id: int, *, test: bool) -> list[dict[str, Any]]:
    i, r = issued_rewards, rewards
    rows = await conn.execute(
        select(i, r.c.name)
        .select_from(i.join(r, r.c.id == i.c.reward_id))
        .where(i.c.profile_id == profile_id, i.c.test == test)
        .order_by(i.c.id.desc())
    )
    return [dict(row) for row in rows.mappings()]


async def get_issued(conn: AsyncConnection, issued_id: int) -> dict[str, Any] | None:
    i, r = issued_rewards, rewards
    found = await conn.execute(
        select(i, r.c.name).select_from(i.join(r, r.c.id == i.c.reward_id)).where(i.c.id == issued_id)
    )
    row = found.mappings().first()
    return None if row is None else dict(row)


# --- issuing (plain SQL: both write paths) -----------------------------------------------------


def _row(columns: tuple[str, ...], values: Any) -> dict[str, Any]:
    row = dict(zip(columns, values, strict=True))
    for key in _TIMES & row.keys():
        row[key] = read_time(row[key])
    return row


async def lock_member(tx: RawTransaction, profile_id: int) -> bool:
    """The member's lock (the one events take); False when there is no such profile."""
    lock = " FOR UPDATE" if tx.postgres else ""
    return bool(await tx.fetch(f"SELECT id FROM profiles WHERE id = ?{lock}", [profile_id]))


async def balance(tx: RawTransaction, profile_id: int, test: bool) -> int:
    found = await tx.fetch(
        "SELECT balance FROM balances WHERE profile_id = ? AND test = ?", [profile_id, test]
    )
    return int(found[0][0]) if found else 0


async def lock_rewards(tx: RawTransaction, ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """The rewards, locked in id order (a second writer waits for the first to commit)."""
    wanted = sorted(ids)
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    lock = " FOR UPDATE" if tx.postgres else ""
    columns = ", ".join(_REWARD_COLUMNS)
    rows = await tx.fetch(f"SELECT {columns} FROM rewards WHERE id IN ({marks}) ORDER BY id{lock}", wanted)
    return {r[0]: _row(_REWARD_COLUMNS, r) for r in rows}


async def held_by(
    tx: RawTransaction,
    reward_id: str,
    profile_id: int,
    test: bool,
    start: datetime | None,
    end: datetime | None,
) -> int:
    """How many of this reward the member was issued in [start, end), cancelled ones aside."""
    sql = (
        "SELECT count(*) FROM issued_rewards WHERE reward_id = ? AND profile_id = ? AND test = ? "
        "AND status <> 'cancelled'"
    )
    args: list[Any] = [reward_id, profile_id, test]
    if start is not None:
        sql += " AND issued_at >= ?"
        args.append(tx.ts(start))
    if end is not None:
        sql += " AND issued_at < ?"
        args.append(tx.ts(end))
    return int((await tx.fetch(sql, args))[0][0])


async def take_one(tx: RawTransaction, reward_id: str, *, back: bool = False) -> None:
    """One fewer left (or, `back`, one more: a cancellation gives it back)."""
    step = "+ 1" if back else "- 1"
    await tx.fetch(
        f"UPDATE rewards SET stock = CASE WHEN stock IS NULL THEN NULL ELSE stock {step} END, "
        f"issued = issued {'- 1' if back else '+ 1'} WHERE id = ?",
        [reward_id],
    )


def _written(tx: RawTransaction, column: str, value: Any) -> Any:
    """A value as its column stores it (times as the driver writes them, the history as JSON)."""
    if column in _TIMES and value is not None:
        return tx.ts(value)
    return json_text(value) if column == "history" else value


async def insert_issued(tx: RawTransaction, row: dict[str, Any]) -> int:
    columns = [c for c in _ISSUED_COLUMNS if c != "id"]
    values = [_written(tx, c, row[c]) for c in columns]
    marks = ", ".join("?" for _ in columns)
    found = await tx.fetch(
        f"INSERT INTO issued_rewards ({', '.join(columns)}) VALUES ({marks}) RETURNING id", values
    )
    return int(found[0][0])


async def lock_issued(tx: RawTransaction, issued_id: int) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if tx.postgres else ""
    columns = ", ".join(_ISSUED_COLUMNS)
    found = await tx.fetch(f"SELECT {columns} FROM issued_rewards WHERE id = ?{lock}", [issued_id])
    if not found:
        return None
    row = _row(_ISSUED_COLUMNS, found[0])
    if isinstance(row["history"], str):
        row["history"] = json.loads(row["history"])
    return row


async def settle_issued(tx: RawTransaction, issued_id: int, values: dict[str, Any]) -> None:
    keys = sorted(values)
    sets = ", ".join(f"{k} = ?" for k in keys)
    args = [_written(tx, k, values[k]) for k in keys]
    await tx.fetch(f"UPDATE issued_rewards SET {sets} WHERE id = ?", [*args, issued_id])


def _past_validity(now: datetime) -> Any:
    return and_(issued_rewards.c.status == "issued", issued_rewards.c.expires_at <= now)


async def count_due_to_expire(conn: AsyncConnection, now: datetime) -> int:
    found = await conn.execute(select(func.count()).where(_past_validity(now)))
    return int(found.scalar_one())


async def due_to_expire(conn: AsyncConnection, now: datetime, limit: int) -> list[int]:
    rows = await conn.execute(
        select(issued_rewards.c.id)
        .where(_past_validity(now))
        .order_by(issued_rewards.c.expires_at, issued_rewards.c.id)  # ix_issued_rewards_due's order
        .limit(limit)
    )
    return [int(r[0]) for r in rows]
