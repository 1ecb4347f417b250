"""Event types: built-in ones are seeded at start-up; custom ones come through the admin API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

import event_types
from storage.dialect import insert
from storage.tables import EventType

table = EventType.__table__  # type: ignore[attr-defined]


async def seed_builtin(conn: AsyncConnection, now: datetime) -> None:
    for name, spec in event_types.BUILTIN.items():
        stmt = insert(conn, table).values(
            name=name,
            description=spec["description"],
            json_schema=spec["schema"],
            builtin=True,
            created_at=now,
        )
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["name"],
                set_={"description": spec["description"], "json_schema": spec["schema"], "builtin": True},
            )
        )


async def get_event_type(
    conn: AsyncConnection, name: str, *, share_lock: bool = False
) -> dict[str, Any] | None:
    """`share_lock`: hold a share lock on PostgreSQL, for a writer about to name this event type;
    deleting it locks the row before counting its users (api/event_types.py), so the two queue."""
    query = select(table).where(table.c.name == name)
    if share_lock and conn.dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row else None


async def list_event_types(conn: AsyncConnection) -> list[dict[str, Any]]:
    return [dict(r) for r in (await conn.execute(select(table).order_by(table.c.name))).mappings()]


async def insert_event_type(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(table.insert().values(**row))


async def update_event_type(conn: AsyncConnection, name: str, values: dict[str, Any]) -> None:
    await conn.execute(update(table).where(table.c.name == name).values(**values))


async def delete_event_type(conn: AsyncConnection, name: str) -> None:
    await conn.execute(delete(table).where(table.c.name == name))
