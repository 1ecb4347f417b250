"""Intrinsic events owed to the pipeline (storage/tables.py IntrinsicEvent)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.driver import RawTransaction, json_text
from storage.tables import IntrinsicEvent

intrinsic = IntrinsicEvent.__table__  # type: ignore[attr-defined]


async def owe(
    tx: RawTransaction, event: dict[str, Any], *, test: bool, occurred_at: datetime, now: datetime
) -> int:
    """Write the event to report once this transaction commits; its id."""
    found = await tx.fetch(
        "INSERT INTO intrinsic_events (type, event, test, occurred_at, created_at) VALUES (?, ?, ?, ?, ?) "
        "RETURNING id",
        [event["type"], json_text(event), test, tx.ts(occurred_at), tx.ts(now)],
    )
    return int(found[0][0])


async def owed(
    conn: AsyncConnection, *, ids: list[int] | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Not reported yet (these `ids`, or the oldest `limit`)."""
    query = select(intrinsic).where(intrinsic.c.reported_at.is_(None))
    if ids is not None:
        query = query.where(intrinsic.c.id.in_(ids))
    rows = await conn.execute(query.order_by(intrinsic.c.id).limit(limit))
    return [dict(r) for r in rows.mappings()]


async def reported(conn: AsyncConnection, row_id: int, request_id: str, at: datetime) -> None:
    await conn.execute(
        update(intrinsic).where(intrinsic.c.id == row_id).values(reported_at=at, request_id=request_id)
    )


async def owed_count(conn: AsyncConnection) -> int:
    found = await conn.execute(select(func.count()).where(intrinsic.c.reported_at.is_(None)))
    return int(found.scalar_one())
