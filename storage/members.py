"""Members: registered profiles with attributes, found by identity or attribute, and their
access tokens (for reporting public events)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import insert, is_postgres
from storage.events import events
from storage.ledger import add_to_balance, balances, entries
from storage.profiles import profiles
from storage.tables import MemberToken

tokens = MemberToken.__table__  # type: ignore[attr-defined]


def _like_prefix(text: str) -> str:
    """A LIKE pattern matching values that start with `text` (its own % and _ taken literally)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matching_members(prefix: str) -> Any:
    """The ids of the members one of whose identities starts with `prefix` (emails are stored
    lower-cased, so the lower-cased prefix is tried too)."""
    q = profiles.alias("q")
    patterns = {_like_prefix(prefix), _like_prefix(prefix.lower())}
    return select(func.coalesce(q.c.merged_into, q.c.id)).where(
        or_(*(q.c.value.like(pattern, escape="\\") for pattern in sorted(patterns)))
    )


async def search_profiles(
    conn: AsyncConnection, prefix: str, *, kind: str | None, limit: int
) -> list[dict[str, Any]]:
    """Newest first, found by any of their identities."""
    p, b = profiles, balances
    query = (
        select(p, b.c.balance, b.c.lifetime)
        .select_from(p.outerjoin(b, and_(b.c.profile_id == p.c.id, b.c.test == false())))
        .where(p.c.id.in_(_matching_members(prefix)), p.c.merged_into.is_(None))
    )
    if kind:
        query = query.where(p.c.kind == kind)
    rows = await conn.execute(query.order_by(p.c.id.desc()).limit(limit))
    return [dict(r) for r in rows.mappings()]


async def member_by_identity(
    conn: AsyncConnection, kind: str, value: str, *, lock: bool = True
) -> dict[str, Any] | None:
    query = select(profiles).where(profiles.c.kind == kind, profiles.c.value == value)
    if lock and is_postgres(conn):
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
    if row is None:
        return None
    return {**dict(row), "identities": await identities_of(conn, member_id)}


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
    if row["merged_into"] is not None:  # another member's identity
        target = await member_by_id(conn, int(row["merged_into"]))
        assert target is not None
        return target, True
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
    query = (
        select(p, b.c.balance, b.c.lifetime)
        .select_from(p.outerjoin(b, and_(b.c.profile_id == p.c.id, b.c.test == false())))
        .where(p.c.merged_into.is_(None))
    )
    if prefix:
        query = query.where(p.c.id.in_(_matching_members(prefix)))
    if kind:
        query = query.where(p.c.kind == kind)
    if attribute is not None:
        query = query.where(p.c.attributes[attribute[0]].as_string() == attribute[1])
    if registered is not None:
        query = query.where(p.c.registered_at.is_not(None) if registered else p.c.registered_at.is_(None))
    if before is not None:
        query = query.where(p.c.id < before)
    found = [dict(r) for r in (await conn.execute(query.order_by(p.c.id.desc()).limit(limit))).mappings()]
    others = await _other_identities(conn, [int(r["id"]) for r in found])
    for row in found:
        row["identities"] = [{"kind": row["kind"], "value": row["value"]}, *others.get(int(row["id"]), [])]
    return found


async def _other_identities(conn: AsyncConnection, member_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    if not member_ids:
        return {}
    query = (
        select(profiles.c.merged_into, profiles.c.kind, profiles.c.value)
        .where(profiles.c.merged_into.in_(member_ids))
        .order_by(profiles.c.id)
    )
    out: dict[int, list[dict[str, str]]] = {}
    for merged_into, kind, value in await conn.execute(query):
        out.setdefault(int(merged_into), []).append({"kind": kind, "value": value})
    return out


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


async def identities_of(conn: AsyncConnection, member_id: int) -> list[dict[str, str]]:
    """The member's identity first, then the others that belong to it, oldest first."""
    query = (
        select(profiles.c.id, profiles.c.kind, profiles.c.value)
        .where(or_(profiles.c.id == member_id, profiles.c.merged_into == member_id))
        .order_by((profiles.c.id != member_id), profiles.c.id)
    )
    return [{"kind": r.kind, "value": r.value} for r in await conn.execute(query)]


async def lock_members(conn: AsyncConnection, member_ids: list[int]) -> dict[int, dict[str, Any]]:
    """These members' rows, FOR UPDATE in id order on PostgreSQL (as ingest locks them)."""
    query = select(profiles).where(profiles.c.id.in_(sorted(set(member_ids)))).order_by(profiles.c.id)
    if is_postgres(conn):
        query = query.with_for_update()
    return {int(r["id"]): dict(r) for r in (await conn.execute(query)).mappings()}


async def add_alias(conn: AsyncConnection, member_id: int, kind: str, value: str, now: datetime) -> bool:
    """A new identity that belongs to the member; False when the identity exists already."""
    found = await conn.execute(
        insert(conn, profiles)
        .values(kind=kind, value=value, test=False, created_at=now, merged_into=member_id)
        .on_conflict_do_nothing(index_elements=["kind", "value"])
        .returning(profiles.c.id)
    )
    return found.first() is not None


async def merge(
    conn: AsyncConnection, into: dict[str, Any], other: dict[str, Any], now: datetime
) -> dict[str, int]:
    """Move everything of `other` to `into` (both locked by the caller): events, ledger entries,
    balances (added up, live and test apart), tokens and identities; `other` becomes an identity
    of `into`. What moved, counted."""
    into_id, other_id = int(into["id"]), int(other["id"])
    moved_events = await conn.execute(
        update(events).where(events.c.profile_id == other_id).values(profile_id=into_id)
    )
    moved_entries = await conn.execute(
        update(entries).where(entries.c.profile_id == other_id).values(profile_id=into_id)
    )
    for test in (False, True):
        row = (
            await conn.execute(
                select(balances.c.balance, balances.c.lifetime).where(
                    balances.c.profile_id == other_id, balances.c.test == test
                )
            )
        ).first()
        if row is not None:
            await add_to_balance(conn, into_id, int(row[0]), int(row[1]), test=test, now=now)
            await conn.execute(
                delete(balances).where(balances.c.profile_id == other_id, balances.c.test == test)
            )
    await conn.execute(update(tokens).where(tokens.c.profile_id == other_id).values(profile_id=into_id))
    await conn.execute(update(profiles).where(profiles.c.merged_into == other_id).values(merged_into=into_id))
    registered = [r for r in (into["registered_at"], other["registered_at"]) if r is not None]
    await conn.execute(
        update(profiles)
        .where(profiles.c.id == into_id)
        .values(
            attributes={**(other["attributes"] or {}), **(into["attributes"] or {})},
            registered_at=min(registered) if registered else None,
            test=bool(into["test"] and other["test"]),
        )
    )
    await conn.execute(
        update(profiles)
        .where(profiles.c.id == other_id)
        .values(merged_into=into_id, attributes=None, registered_at=None, test=False)
    )
    return {"events": int(moved_events.rowcount or 0), "pointsEntries": int(moved_entries.rowcount or 0)}


ERASED_KIND = "erased"


async def erase(conn: AsyncConnection, member: dict[str, Any], now: datetime) -> dict[str, int]:
    """Remove the member's personal data (locked by the caller): its identities, attributes and
    tokens, and its events' raw and mapped payloads, with traces cut to the rules' outcomes. The
    ledger keeps every amount, now on an anonymous member."""
    member_id = int(member["id"])
    aliases = await conn.execute(delete(profiles).where(profiles.c.merged_into == member_id))
    await conn.execute(delete(tokens).where(tokens.c.profile_id == member_id))
    await conn.execute(
        update(profiles)
        .where(profiles.c.id == member_id)
        .values(kind=ERASED_KIND, value=str(member_id), attributes=None)
    )
    rows = (
        await conn.execute(select(events.c.id, events.c.trace).where(events.c.profile_id == member_id))
    ).all()
    for event_id, trace in rows:
        await conn.execute(
            update(events)
            .where(events.c.id == event_id)
            .values(raw=None, mapped=None, trace=_erased_trace(trace, now))
        )
    return {"events": len(rows), "identities": int(aliases.rowcount or 0) + 1}


def _erased_trace(trace: Any, now: datetime) -> list[dict[str, Any]]:
    """What stays of a trace: which rules awarded what, none of the values that were judged."""
    kept: list[dict[str, Any]] = [
        {"step": "erased", "at": now.isoformat(), "reason": "the member's personal data was erased"}
    ]
    for step in trace or []:
        if isinstance(step, dict) and step.get("step") == "rules":
            rules = [
                {k: r.get(k) for k in ("ruleId", "ruleVersion", "name", "outcome", "points")}
                for r in step.get("rules", [])
                if isinstance(r, dict)
            ]
            kept.append({"step": "rules", "rules": rules, "otherSources": step.get("otherSources", 0)})
        elif isinstance(step, dict) and step.get("step") == "ledger":
            kept.append(step)
    return kept
