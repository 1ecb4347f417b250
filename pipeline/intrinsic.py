"""Intrinsic events (EARNED_BADGE, PURCHASED_REWARD, POINTS_EXPIRED), reported after the commit
that caused them and never lost: the cause writes the event it owes in its own transaction
(storage/intrinsic.py); this module reports what is owed, right after that commit (`kick`, or
the caller itself when its answer shows the outcome) and in a sweep every SWEEP_SECONDS for
whatever a crash left behind. Each is reported with the clientEventId `intrinsic:<id>`, so a
second try (a sweep meeting a report in flight, a crash after reporting) counts once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from settings import Settings
from storage import intrinsic as store
from storage.database import Database

log = logging.getLogger("inbound")

SWEEP_SECONDS = 30


def client_event_id(row_id: int) -> str:
    return f"intrinsic:{row_id}"


async def report_owed(
    db: Database, settings: Settings, ids: list[int] | None = None
) -> dict[int, dict[str, Any]]:
    """Report the owed events (these `ids`, or the oldest ones); {id: {"requestId", "result"}}."""
    from pipeline.report import report  # here, not above: report → the writer → reactions → here

    async with db.read() as conn:
        rows = await store.owed(conn, ids=ids)
    done: dict[int, dict[str, Any]] = {}
    for row in rows:
        event = {**row["event"], "clientEventId": client_event_id(row["id"])}
        now = datetime.now(UTC)
        try:
            request_id, result = await report(
                db, settings, event, received_at=now, credential="inbound", test=row["test"]
            )
        except Exception:
            log.exception(
                "could not report %s (intrinsic event %s); the sweep tries again", row["type"], row["id"]
            )
            continue
        async with db.write() as conn:
            await store.reported(conn, row["id"], request_id, now)
        done[row["id"]] = {"requestId": request_id, "result": result}
    return done


_running: dict[int, asyncio.Task[None]] = {}  # per database object: one reporter at a time
_again: set[int] = set()


def kick(db: Database, settings: Settings) -> None:
    """Report what is owed, soon, in a task of its own (a commit just owed something)."""
    key = id(db)
    task = _running.get(key)
    if task is not None and not task.done():
        _again.add(key)
        return

    async def run() -> None:
        while True:
            _again.discard(key)
            try:
                await report_owed(db, settings)
            except Exception:
                log.exception("reporting intrinsic events failed; the sweep tries again")
            if key not in _again:
                return

    _running[key] = asyncio.create_task(run())


async def sweep_forever(db: Database, settings: Settings) -> None:
    """Once right after start-up (what a crash left owed), then every SWEEP_SECONDS."""
    wait = 1.0
    while True:
        await asyncio.sleep(wait)
        wait = SWEEP_SECONDS
        try:
            await report_owed(db, settings)
        except Exception:
            log.exception("the intrinsic events sweep failed; it runs again in %d s", SWEEP_SECONDS)
