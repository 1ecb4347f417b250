"""Badges and the badges members earned.

A grant is an INSERT … ON CONFLICT DO NOTHING on (profile, badge, test, once): a badge that is
not repeatable is granted once per member whatever runs at the same time (rules in concurrent
groups, an admin's grant), and the loser learns it from the empty RETURNING.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import insert as upsert
from storage.driver import RawTransaction
from storage.tables import Badge, MemberBadge

badges = Badge.__table__  # type: ignore[attr-defined]
member_badges = MemberBadge.__table__  # type: ignore[attr-defined]

_BADGE_COLUMNS = ("id", "name", "repeatable", "status")


async def insert_badge(conn: AsyncConnection, row: dict[str, Any]) -> bool:
    """False when the name is taken."""
    done = await conn.execute(upsert(conn, badges).values(**row).on_conflict_do_nothing())
    return bool(done.rowcount)


async def list_badges(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Each badge with `holders` (live members who have it) and `granted` (its live grants)."""
    rows = await conn.execute(select(badges).order_by(badges.c.created_at, badges.c.id))
    counted = await conn.execute(
        select(
            member_badges.c.badge_id,
            func.count(func.distinct(member_badges.c.profile_id)),
            func.count(),
        )
        .where(member_badges.c.test.is_(False))
        .group_by(member_badges.c.badge_id)
    )
    counts = {badge_id: {"holders": holders, "granted": granted} for badge_id, holders, granted in counted}
    none = {"holders": 0, "granted": 0}
    return [{**row, **counts.get(row["id"], none)} for row in rows.mappings()]


async def get_badge(conn: AsyncConnection, badge_id: str) -> dict[str, Any] | None:
    found = (await conn.execute(select(badges).where(badges.c.id == badge_id))).mappings().first()
    return None if found is None else dict(found)


async def name_taken(conn: AsyncConnection, name: str, *, other_than: str | None = None) -> bool:
    query = select(badges.c.id).where(badges.c.name == name)
    if other_than is not None:
        query = query.where(badges.c.id != other_than)
    return (await conn.execute(query)).first() is not None


async def update_badge(conn: AsyncConnection, badge_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(badges).where(badges.c.id == badge_id).values(**values))


async def existing_ids(conn: AsyncConnection, ids: Collection[str]) -> set[str]:
    rows = await conn.execute(select(badges.c.id).where(badges.c.id.in_(sorted(ids))))
    return {r[0] for r in rows}


async def badges_by_id_raw(tx: RawTransaction, ids: Collection[str]) -> dict[str, dict[str, Any]]:
    wanted = sorted(ids)
    marks = ", ".join("?" for _ in wanted)
    rows = await tx.fetch(f"SELECT id, name, repeatable, status FROM badges WHERE id IN ({marks})", wanted)
    return {r[0]: {"id": r[0], "name": r[1], "repeatable": bool(r[2]), "status": r[3]} for r in rows}


def _once(row: dict[str, Any]) -> str | None:
    return None if row["repeatable"] else "once"


_GRANT_SQL = (
    "INSERT INTO member_badges (profile_id, badge_id, test, once, granted_at, source, rule_id, "
    "rule_version, event_id, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id"
)


async def grant_raw(tx: RawTransaction, row: dict[str, Any]) -> int | None:
    """The grant's id, or None: the member already has this badge (not repeatable)."""
    found = await tx.fetch(
        _GRANT_SQL,
        [
            row["profile_id"],
            row["badge_id"],
            row["test"],
            _once(row),
            tx.ts(row["granted_at"]),
            row["source"],
            row.get("rule_id"),
            row.get("rule_version"),
            row.get("event_id"),
            row.get("note"),
        ],
    )
    return int(found[0][0]) if found else None


async def earlier_grant(conn: AsyncConnection, profile_id: int, badge_id: str, test: bool) -> datetime | None:
    found = await conn.execute(
        select(member_badges.c.granted_at).where(
            member_badges.c.profile_id == profile_id,
            member_badges.c.badge_id == badge_id,
            member_badges.c.test == test,
        )
    )
    first = found.first()
    return None if first is None else first[0]


async def badges_of_member(conn: AsyncConnection, profile_id: int, *, test: bool) -> list[dict[str, Any]]:
    """The member's badges, newest first, with the badge's name and image."""
    m, b = member_badges, badges
    rows = await conn.execute(
        select(m, b.c.name, b.c.image_url, b.c.repeatable)
        .select_from(m.join(b, b.c.id == m.c.badge_id))
        .where(m.c.profile_id == profile_id, m.c.test == test)
        .order_by(m.c.id.desc())
    )
    return [dict(r) for r in rows.mappings()]


async def granted_for_events(conn: AsyncConnection, event_ids: Collection[int]) -> set[int]:
    rows = await conn.execute(
        select(member_badges.c.id).where(member_badges.c.event_id.in_(sorted(event_ids)))
    )
    return {r[0] for r in rows}
