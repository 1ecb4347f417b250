"""Members: registered profiles with attributes, found by identity or attribute, and their
access tokens (for reporting public events)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import insert, is_postgres
from storage.ledger import balances
from storage.profiles import profiles
from storage.tables import MemberToken

tokens = MemberToken.__table__  # type: ignore[attr-defined]


def _like_prefix(text: str) -> str:
    """A LIKE pattern matching values that start with `text` (its own % and _ taken literally)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search_profiles(
    conn: AsyncConnection, prefix: str, *, kind: str | None, limit: int
) -> list[dict[str, Any]]:
    """Newest first. Emails are stored lower-cased, so the lower-cased prefix is tried too."""
    p, b = profiles, balances
    patterns = {_like_prefix(prefix), _like_prefix(prefix.lower())}
    query = (
        select(p, b.c.balance, b.c.lifetime)
        .select_from(p.outerjoin(b, and_(b.c.profile_id == p.c.id, b.c.test == false())))
        .where(or_(*(p.c.value.like(pattern, escape="\\") for pattern in sorted(patterns))))
    )
    if kind:
        query = query.where(p.c.kind == kind)
    rows = await conn.execute(query.order_by(p.c.id.desc()).limit(limit))
    return [dict(r) for r in rows.mappings()]


async def member_by_identity(conn: AsyncConnection, kind: str, value: str) -> dict[str, Any] | None:
    query = select(profiles).where(profiles.c.kind == kind, profiles.c.value == value)
    if is_postgres(conn):
        query = query.with_for_update()
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row else None


async def member_by_id(conn: AsyncConnection, member_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(select(profiles).where(profiles.c.id == member_id))).mappings().first()
    return dict(row) if row else None


async def member_with_balance(conn: AsyncConnection, member_id: int) -> dict[str, Any] | None:
    """The member's row with its live `balance` and `lifetime` (0 before any points)."""
    p, b = profiles, balances
    query = (
        select(p, b.c.balance, b.c.lifetime)
        .select_from(p.outerjoin(b, and_(b.c.profile_id == p.c.id, b.c.test == false())))
        .where(p.c.id == member_id)
    )
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row else None


async def register(
    conn: AsyncConnection, kind: str, value: str, attributes: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], bool]:
    """The member with this identity, registered now: a new profile, or one that events created
    before the person registered (it keeps its points). (row, whether it was registered before)."""
    await conn.execute(
        insert(conn, profiles)
        .values(kind=kind, value=value, test=False, created_at=now)
        .on_conflict_do_nothing(index_elements=["kind", "value"])
    )
    row = await member_by_identity(conn, kind, value)
    assert row is not None
    if row["registered_at"] is not None:
        return row, True
    merged = {**(row["attributes"] or {}), **attributes}
    await conn.execute(
        update(profiles)
        .where(profiles.c.id == row["id"])
        .values(registered_at=now, attributes=merged, test=False)
    )
    return {**row, "registered_at": now, "attributes": merged, "test": False}, False


async def set_attributes(conn: AsyncConnection, member_id: int, attributes: dict[str, Any]) -> None:
    await conn.execute(update(profiles).where(profiles.c.id == member_id).values(attributes=attributes))


async def list_members(
    conn: AsyncConnection,
    *,
    prefix: str | None,
    kind: str | None,
    attribute: tuple[str, str] | None,
    registered: bool | None,
    limit: int,
    before: int | None,
) -> list[dict[str, Any]]:
    """Newest first, with the live balance; `attribute` is (name, value as text)."""
    p, b = profiles, balances
    query = select(p, b.c.balance, b.c.lifetime).select_from(
        p.outerjoin(b, and_(b.c.profile_id == p.c.id, b.c.test == false()))
    )
    if prefix:
        patterns = {_like_prefix(prefix), _like_prefix(prefix.lower())}
        query = query.where(or_(*(p.c.value.like(pattern, escape="\\") for pattern in sorted(patterns))))
    if kind:
        query = query.where(p.c.kind == kind)
    if attribute is not None:
        query = query.where(p.c.attributes[attribute[0]].as_string() == attribute[1])
    if registered is not None:
        query = query.where(p.c.registered_at.is_not(None) if registered else p.c.registered_at.is_(None))
    if before is not None:
        query = query.where(p.c.id < before)
    rows = await conn.execute(query.order_by(p.c.id.desc()).limit(limit))
    return [dict(r) for r in rows.mappings()]


async def insert_token(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(tokens.insert().values(**row))


async def token_by_id(conn: AsyncConnection, token_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(tokens).where(tokens.c.id == token_id))).mappings().first()
    return dict(row) if row else None


async def list_tokens(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    query = select(tokens).where(tokens.c.profile_id == member_id).order_by(tokens.c.created_at, tokens.c.id)
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def revoke_token(conn: AsyncConnection, member_id: int, token_id: str, now: datetime) -> bool:
    """False when the member has no such token; revoking twice keeps the first time."""
    found = await conn.execute(
        update(tokens)
        .where(tokens.c.id == token_id, tokens.c.profile_id == member_id)
        .values(revoked_at=func.coalesce(tokens.c.revoked_at, now))
    )
    return bool(found.rowcount)
