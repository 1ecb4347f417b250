"""Find or create a profile by identity, locked for the rest of the transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import insert, is_postgres, pairs_in
from storage.tables import Profile

profiles = Profile.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ResolvedProfile:
    id: int
    kind: str
    value: str
    created: bool


async def lock_identities(
    conn: AsyncConnection, identities: Collection[tuple[str, str]], *, also: Any = None
) -> dict[tuple[str, str], tuple[int, bool]]:
    """The members with these identities, plus the ids the `also` subquery selects: (id, test only).

    An identity that belongs to another member (`merged_into`) gives that member. Locked FOR
    UPDATE in id order on PostgreSQL, all in one statement, so two transactions that need
    overlapping sets of members queue instead of deadlocking (SQLite has one writer); a merge that
    committed meanwhile is seen by looking again.
    """
    if not identities and also is None:
        return {}
    p, t = profiles.alias("p"), profiles.alias("t")
    if also is None:
        where: Any = pairs_in(p.c.kind, p.c.value, identities)
    else:
        # One list of ids, not `identities OR id IN (also)`: PostgreSQL searches no index for
        # that OR and read every member.
        named = select(profiles.c.id).where(pairs_in(profiles.c.kind, profiles.c.value, identities))
        where = p.c.id.in_(named.union(also))
    query = (
        select(t.c.id, p.c.kind, p.c.value, t.c.test, t.c.merged_into)
        .select_from(p.join(t, t.c.id == func.coalesce(p.c.merged_into, p.c.id)))
        .where(where)
        .order_by(t.c.id)
    )
    if is_postgres(conn):
        query = query.with_for_update(of=t)
    for _attempt in range(5):
        rows = (await conn.execute(query)).all()
        if all(r.merged_into is None for r in rows):
            return {(r.kind, r.value): (int(r.id), bool(r.test)) for r in rows}
    raise RuntimeError("members kept being merged while this transaction looked them up")


async def create_profiles(
    conn: AsyncConnection,
    identities: Collection[tuple[str, str]],
    *,
    test: bool,
    connector_id: str,
    now: datetime,
) -> dict[tuple[str, str], int]:
    """Insert the missing profiles in one statement, in (kind, value) order; {identity: id} of those
    this transaction created. One another transaction created meanwhile is left out (find it)."""
    if not identities:
        return {}
    rows = [
        {"kind": k, "value": v, "test": test, "created_by_connector": connector_id, "created_at": now}
        for k, v in sorted(identities)
    ]
    stmt = (
        insert(conn, profiles)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["kind", "value"])
        .returning(profiles.c.id, profiles.c.kind, profiles.c.value)
    )
    return {(r.kind, r.value): int(r.id) for r in await conn.execute(stmt)}


async def attributes_of(conn: AsyncConnection, profile_id: int) -> dict[str, Any]:
    """A member's attributes ({} when none), for the `member_attributes` enhancer."""
    found = (await conn.execute(select(profiles.c.attributes).where(profiles.c.id == profile_id))).first()
    return dict(found[0]) if found and isinstance(found[0], dict) else {}


async def make_live(conn: AsyncConnection, profile_ids: Collection[int]) -> None:
    """A live event makes a profile real: purging test data must never delete it."""
    if profile_ids:
        await conn.execute(update(profiles).where(profiles.c.id.in_(sorted(profile_ids))).values(test=False))


async def kinds_of_other_members(
    conn: AsyncConnection, connector_id: str, kinds: Collection[str]
) -> set[str]:
    """Which of `kinds` no member outside this connector has, when there are such members at all:
    a connector that sends its people under a kind nobody else uses splits them into new profiles."""
    others = or_(profiles.c.created_by_connector.is_(None), profiles.c.created_by_connector != connector_id)
    if (await conn.execute(select(profiles.c.id).where(others).limit(1))).first() is None:
        return set()  # the first connector: there is nothing to agree with yet
    lonely = set()
    for kind in sorted(kinds):
        used = await conn.execute(select(profiles.c.id).where(profiles.c.kind == kind, others).limit(1))
        if used.first() is None:
            lonely.add(kind)
    return lonely


async def common_kinds(conn: AsyncConnection, connector_id: str, limit: int = 3) -> list[str]:
    """A few kinds that other connectors' members have, most used first, for a warning."""
    others = or_(profiles.c.created_by_connector.is_(None), profiles.c.created_by_connector != connector_id)
    query = (
        select(profiles.c.kind)
        .where(others)
        .group_by(profiles.c.kind)
        .order_by(func.count().desc(), profiles.c.kind)
        .limit(limit)
    )
    return [row[0] for row in await conn.execute(query)]


async def ids_of_identities(
    conn: AsyncConnection, identities: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """The member ids of these identities (kind, value) that exist."""
    rows = await conn.execute(
        select(profiles.c.id, profiles.c.kind, profiles.c.value).where(
            pairs_in(profiles.c.kind, profiles.c.value, identities)
        )
    )
    return {(r.kind, r.value): int(r.id) for r in rows}
