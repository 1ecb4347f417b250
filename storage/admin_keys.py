"""Admin keys (digests only) and the audit log of admin writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import AdminAudit, AdminKey

keys_table = AdminKey.__table__  # type: ignore[attr-defined]
audit_table = AdminAudit.__table__  # type: ignore[attr-defined]


async def insert_key(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(keys_table.insert().values(**row))


async def find_active_key(conn: AsyncConnection, digest: str) -> dict[str, Any] | None:
    t = keys_table
    found = await conn.execute(select(t).where(t.c.digest == digest, t.c.revoked_at.is_(None)))
    row = found.mappings().first()
    return dict(row) if row else None


async def key_is_active(conn: AsyncConnection, key_id: str) -> bool:
    t = keys_table
    found = await conn.execute(select(t.c.id).where(t.c.id == key_id, t.c.revoked_at.is_(None)))
    return found.first() is not None


async def list_keys(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(select(keys_table).order_by(keys_table.c.created_at, keys_table.c.id))
    return [dict(r) for r in rows.mappings()]


async def revoke_key(conn: AsyncConnection, key_id: str, now: datetime) -> bool:
    t = keys_table
    done = await conn.execute(
        update(t).where(t.c.id == key_id, t.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    return bool(done.rowcount)


async def insert_audit(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(audit_table.insert().values(**row))


async def list_audit(
    conn: AsyncConnection,
    *,
    key_id: str | None,
    path_prefix: str | None,
    since: datetime | None,
    limit: int,
    before: int | None,
) -> list[dict[str, Any]]:
    t = audit_table
    query = select(t)
    if key_id:
        query = query.where(t.c.key_id == key_id)
    if path_prefix:
        query = query.where(t.c.path.startswith(path_prefix, autoescape=True))
    if since is not None:
        query = query.where(t.c.at >= since)
    if before is not None:
        query = query.where(t.c.id < before)
    rows = await conn.execute(query.order_by(t.c.id.desc()).limit(limit))
    return [dict(r) for r in rows.mappings()]
