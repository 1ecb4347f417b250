"""Event types: built-in ones are seeded at start-up; custom ones come through the admin API."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

import event_types
from storage.dialect import insert
from storage.secrets import reseal, seal, unseal
from storage.tables import Connector, EventType

table = EventType.__table__  # type: ignore[attr-defined]


async def seed_builtin(conn: AsyncConnection, now: datetime) -> None:
    for name, spec in event_types.BUILTIN.items():
        reporting = spec.get("reporting", "connectors")
        stmt = insert(conn, table).values(
            name=name,
            description=spec["description"],
            json_schema=spec["schema"],
            builtin=True,
            reporting=reporting,
            created_at=now,
        )
        changes = {"description": spec["description"], "json_schema": spec["schema"], "builtin": True}
        await conn.execute(
            stmt.on_conflict_do_update(index_elements=["name"], set_={**changes, "reporting": reporting})
        )


async def get_event_type(
    conn: AsyncConnection, name: str, *, share_lock: bool = False, lock: bool = False
) -> dict[str, Any] | None:
    """`share_lock`: hold a share lock on PostgreSQL, for a writer about to name this event type.
    `lock`: an exclusive lock, taken by a delete before it counts the users, so that a rule or
    connector saved at the same time is either counted or refused, never left naming nothing."""
    query = select(table).where(table.c.name == name)
    if conn.dialect.name == "postgresql" and (lock or share_lock):
        query = query.with_for_update(read=not lock)
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row else None


async def list_event_types(conn: AsyncConnection) -> list[dict[str, Any]]:
    return [dict(r) for r in (await conn.execute(select(table).order_by(table.c.name))).mappings()]


def new_type_secret() -> str:
    """A private event type's secret: what a reporting system sends in X-Event-Secret."""
    return "evsec_" + secrets.token_urlsafe(32)


def _sealed(values: dict[str, Any]) -> dict[str, Any]:
    """A private type's secret is kept sealed like every credential (storage/secrets.py)."""
    if values.get("secret"):
        return {**values, "secret": seal(values["secret"])}
    return values


def secret_matches(row: dict[str, Any], given: str) -> bool:
    """Whether `given` is this private event type's secret (constant time)."""
    stored = row.get("secret")
    if not stored or not given:
        return False
    return hmac.compare_digest(unseal(stored).encode(), given.encode())


async def insert_event_type(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(table.insert().values(**_sealed(row)))


async def update_event_type(conn: AsyncConnection, name: str, values: dict[str, Any]) -> None:
    await conn.execute(update(table).where(table.c.name == name).values(**_sealed(values)))


async def delete_event_type(conn: AsyncConnection, name: str) -> None:
    await conn.execute(delete(table).where(table.c.name == name))


async def connectors_using(conn: AsyncConnection, name: str) -> list[str]:
    """The ids of the connectors whose event type this is."""
    connectors = Connector.__table__  # type: ignore[attr-defined]
    query = select(connectors.c.id).where(connectors.c.event_type == name).order_by(connectors.c.id)
    return [row[0] for row in await conn.execute(query)]


async def reseal_secrets(conn: AsyncConnection) -> int:
    """Every private event type's secret sealed with the first key (`inbound rotate-key`); how many."""
    rows = (await conn.execute(select(table.c.name, table.c.secret).where(table.c.secret.is_not(None)))).all()
    for name, stored in rows:
        await conn.execute(update(table).where(table.c.name == name).values(secret=reseal(stored)))
    return len(rows)
