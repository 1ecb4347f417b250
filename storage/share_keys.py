"""The epoch that signs a connector's shared integration links (see api/share_links.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import insert
from storage.tables import ShareKey

share_keys = ShareKey.__table__  # type: ignore[attr-defined]


async def epoch_of(conn: AsyncConnection, connector_id: str) -> int:
    row = await conn.execute(select(share_keys.c.epoch).where(share_keys.c.connector_id == connector_id))
    return row.scalar() or 0


async def rotate(conn: AsyncConnection, connector_id: str, now: datetime) -> int:
    """The next epoch: every link signed with an earlier one stops working."""
    statement = insert(conn, share_keys).values(connector_id=connector_id, epoch=1, rotated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["connector_id"],
        set_={"epoch": share_keys.c.epoch + 1, "rotated_at": now},
    )
    await conn.execute(statement)
    return await epoch_of(conn, connector_id)
