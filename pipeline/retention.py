"""The retention pass (storage/retention.py): once an hour in each serving process, and on demand
with `inbound prune`. Each batch is its own short transaction."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from settings import Settings
from storage.database import Database
from storage.retention import Pruned, cutoff, prune_delivery_logs, prune_raw, prune_requests

log = logging.getLogger("inbound.retention")
INTERVAL_SECONDS = 3600


async def prune(db: Database, settings: Settings, now: datetime | None = None) -> Pruned:
    now = now or datetime.now(UTC)
    requests_before = cutoff(now, settings.retention_request_days)
    raw_before = cutoff(now, settings.retention_raw_days)
    request_rows = raw_payloads = 0
    while requests_before is not None:
        async with db.write() as conn:
            done = await prune_requests(conn, requests_before)
        request_rows += done
        if not done:
            break
    while raw_before is not None:
        async with db.write() as conn:
            done = await prune_raw(conn, raw_before)
        raw_payloads += done
        if not done:
            break
    logs = 0
    while requests_before is not None:
        async with db.write() as conn:
            done = await prune_delivery_logs(conn, requests_before)
        logs += done
        if not done:
            break
    return Pruned(request_rows, raw_payloads, logs)


async def run_forever(db: Database, settings: Settings) -> None:
    """The scheduled pass; a failure is logged and retried at the next interval."""
    while True:
        try:
            pruned = await prune(db, settings)
            if pruned.request_rows or pruned.raw_payloads or pruned.logs:
                log.info("retention: pruned %s", pruned.to_json())
        except Exception:
            log.exception("the retention pass failed; it runs again in %d s", INTERVAL_SECONDS)
        await asyncio.sleep(INTERVAL_SECONDS)
