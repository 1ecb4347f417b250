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

from storage.intrinsic import intrinsic as intrinsic_events
from storage.logs import events_table, requests_table
from storage.webhooks import attempts as webhook_attempts
from storage.webhooks import messages as webhook_messages

BATCH = 5000


@dataclass(frozen=True)
class Pruned:
    request_rows: int = 0
    raw_payloads: int = 0
    logs: int = 0  # delivered or failed webhook messages, reported intrinsic events (with the requests)

    def to_json(self) -> dict[str, int]:
        return {"requestRows": self.request_rows, "rawPayloads": self.raw_payloads, "deliveryLogs": self.logs}


async def prune_requests(conn: AsyncConnection, before: datetime) -> int:
    """Delete up to BATCH request-log rows received before `before`; how many went."""
    t = requests_table
    # ix_requests_time: the pass runs in a write transaction, which on SQLite holds ingest.
    ids = [r[0] for r in await conn.execute(select(t.c.id).where(t.c.received_at < before).limit(BATCH))]
    if ids:
        await conn.execute(t.delete().where(t.c.id.in_(ids)))
    return len(ids)


async def prune_raw(conn: AsyncConnection, before: datetime) -> int:
    """Empty (SQL NULL) the raw and mapped payloads of up to BATCH events received before `before`."""
    t = events_table
    # ix_events_raw_time, partial: an event leaves it when its payload is emptied.
    query = select(t.c.id).where(t.c.received_at < before, t.c.raw.is_not(None)).limit(BATCH)
    ids = [r[0] for r in await conn.execute(query)]
    if ids:
        await conn.execute(update(t).where(t.c.id.in_(ids)).values(raw=null(), mapped=null()))
    return len(ids)


def cutoff(now: datetime, days: int) -> datetime | None:
    return None if days <= 0 else now - timedelta(days=days)


async def prune_delivery_logs(conn: AsyncConnection, before: datetime) -> int:
    """Delete up to BATCH settled webhook messages (their attempts go with them) and reported
    intrinsic events, older than `before`: the request log's period; pending ones always stay."""
    m, i = webhook_messages, intrinsic_events
    done = 0
    settled = (
        select(m.c.id).where(m.c.status.in_(("delivered", "failed")), m.c.created_at < before).limit(BATCH)
    )
    ids = [r[0] for r in await conn.execute(settled)]
    if ids:
        await conn.execute(webhook_attempts.delete().where(webhook_attempts.c.message_row_id.in_(ids)))
        await conn.execute(m.delete().where(m.c.id.in_(ids)))
        done += len(ids)
    reported = select(i.c.id).where(i.c.reported_at.is_not(None), i.c.reported_at < before).limit(BATCH)
    ids = [r[0] for r in await conn.execute(reported)]
    if ids:
        await conn.execute(i.delete().where(i.c.id.in_(ids)))
        done += len(ids)
    return done
