"""Find members (profiles) by the start of an identity value, with their live balance."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.ledger import balances
from storage.profiles import profiles


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
