"""Parked events: an event for someone who is not a member yet, sent to a connector that credits
members only (`createProfiles: false`), is `parked` instead of dropped. Once that person registers
(or the identity is added to a member), it is released: replayed like any kept event, so it is
judged as of when it happened and counts exactly once (the replay's chain locks make a second,
concurrent release find it done).

Released right after the registration that makes it possible, and by a sweep every minute in
each serving process, for an event that was being parked while the registration committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from pipeline.replay import replay_raws
from settings import Settings
from storage.database import Database
from storage.replays import RawEvent, parked_ready

log = logging.getLogger("inbound")

SWEEP_SECONDS = 60
BATCH = 500


async def release_parked(db: Database, settings: Settings) -> list[dict[str, Any]]:
    """Release every parked event whose member now exists (up to BATCH at a time); the results."""
    async with db.read() as conn:
        ready = await parked_ready(conn, limit=BATCH)
    by_connector: dict[str, list[RawEvent]] = defaultdict(list)
    for connector_id, raw in ready:
        by_connector[connector_id].append(raw)
    results: list[dict[str, Any]] = []
    for connector_id, raws in sorted(by_connector.items()):
        results.extend(await replay_raws(db, settings, connector_id, raws))
    return results


async def sweep_forever(db: Database, settings: Settings) -> None:
    """The minute's sweep; a failure is logged and tried again at the next one."""
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            released = await release_parked(db, settings)
            if released:
                log.info("parked events released: %d", len(released))
        except Exception:
            log.exception("releasing parked events failed; it runs again in %d s", SWEEP_SECONDS)
