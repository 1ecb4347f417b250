"""Retention: what is kept for how long. Raw payloads and the request log are pruned after their
periods; events keep their status, trace and provenance, and ledger entries are never pruned.

Deletes and updates go in batches, so a first prune of a large database never holds the
writer (or a PostgreSQL lock) for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import null, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.logs import events_table, requests_table

BATCH = 5000


@dataclass(frozen=True)
class Pruned:
    request_rows: int = 0
    raw_payloads: int = 0

    def to_json(self) -> dict[str, int]:
        return {"requestRows": self.request_rows, "rawPayloads": self.raw_payloads}


async def prune_requests(conn: AsyncConnection, before: datetime) -> int:
    """Delete up to BATCH request-log rows received before `before`; how many went."""
    t = requests_table
    ids = [r[0] for r in await conn.execute(select(t.c.id).where(t.c.received_at < before).limit(BATCH))]
    if ids:
        await conn.execute(t.delete().where(t.c.id.in_(ids)))
    return len(ids)


async def prune_raw(conn: AsyncConnection, before: datetime) -> int:
    """Empty (SQL NULL) the raw and mapped payloads of up to BATCH events received before `before`."""
    t = events_table
    query = select(t.c.id).where(t.c.received_at < before, t.c.raw.is_not(None)).limit(BATCH)
    ids = [r[0] for r in await conn.execute(query)]
    if ids:
        await conn.execute(update(t).where(t.c.id.in_(ids)).values(raw=null(), mapped=null()))
    return len(ids)


def cutoff(now: datetime, days: int) -> datetime | None:
    return None if days <= 0 else now - timedelta(days=days)
