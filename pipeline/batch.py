"""A request's events through one transaction per chunk, a savepoint per event.

Per event, its own transaction cost a connection checkout, BEGIN and COMMIT (on SQLite, taking
the single write lock) and locks taken anew; a 1000-event batch paid that 1000 times. Now a
chunk of `CHUNK` events shares one transaction: `prepare` takes the chunk's locks and profiles
up front, then each event runs in a SAVEPOINT. An event that fails unexpectedly (a database
error, a bug) rolls back to its savepoint only, and its raw event is stored as `failed` with the
reason in a fresh savepoint; the others carry on and commit. The savepoints are only paid
for when needed: `run_chunk` first runs the chunk without them and, if anything fails, rolls
that attempt back whole and runs the chunk again with them. Chunks bound how long one batch
holds its members' locks (PostgreSQL) or the single writer (SQLite) before others get a turn.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pipeline.batch_state import BatchState, prepare
from pipeline.context import RunContext, WorkItem
from pipeline.process import base_result, base_row, process_item
from pipeline.reactions import follow_up
from storage import events as event_store
from storage.database import Connection, Database

log = logging.getLogger("inbound.pipeline")

# Events per transaction: large enough that BEGIN/COMMIT and the up-front locking vanish from the
# per-event cost, small enough that a 1000-event batch lets others in every few tens of ms.
CHUNK = 100


def chunks(items: Sequence[WorkItem], size: int | None = None) -> list[Sequence[WorkItem]]:
    step = size or CHUNK
    return [items[start : start + step] for start in range(0, len(items), step)]


async def process_chunk(
    conn: Connection, ctx: RunContext, items: Sequence[WorkItem], *, savepoints: bool = True
) -> list[dict[str, Any]]:
    """Prepare the chunk's locks and profiles, then each event (in a savepoint of `conn`'s transaction)."""
    state = await prepare(conn, ctx, items)
    if not savepoints:
        return [await process_item(conn, ctx, item, state) for item in items]
    return [await process_in_savepoint(conn, ctx, item, state) for item in items]


# Called with the chunk's transaction and results just before it commits (the request log's row).
BeforeCommit = Callable[[Connection, list[dict[str, Any]]], Awaitable[None]]


async def run_chunk(db: Database, ctx: RunContext, items: Sequence[WorkItem]) -> list[dict[str, Any]]:
    """One chunk, committed: first without savepoints (they cost two round trips per event, a
    quarter of an event's time on SQLite); if anything fails, that attempt is rolled back whole
    and the chunk runs again with a savepoint per event, so only the failing event is `failed`."""
    results, _ = await run_chunk_with(db, ctx, items, None)
    return results


async def run_chunk_with(
    db: Database, ctx: RunContext, items: Sequence[WorkItem], before_commit: BeforeCommit | None
) -> tuple[list[dict[str, Any]], bool]:
    """`run_chunk`, plus `before_commit` written in the chunk's own transaction (saving a transaction
    of its own); the flag says whether it was committed. In the first attempt a failure of
    `before_commit` fails the attempt like any other; in the retry it runs in a savepoint, so it can
    never cost the chunk its events — the flag is then False and the caller writes it on its own."""
    try:
        async with db.write() as conn:
            results = await process_chunk(conn, ctx, items, savepoints=False)
            if before_commit is not None:
                await before_commit(conn, results)
        _follow_up(db, ctx, results)
        return results, before_commit is not None
    except Exception:  # rolled back whole: nothing of this attempt is kept
        log.warning("request %s: a chunk failed; retrying it event by event", ctx.request.request_id)
    written = False
    async with db.write() as conn:
        results = await process_chunk(conn, ctx, items, savepoints=True)
        if before_commit is not None:
            try:
                async with conn.begin_nested():
                    await before_commit(conn, results)
                written = True
            except Exception:
                log.exception("request %s: could not write with its last chunk", ctx.request.request_id)
    _follow_up(db, ctx, results)
    return results, written


def _follow_up(db: Database, ctx: RunContext, results: list[dict[str, Any]]) -> None:
    follow_up(db, ctx.settings, results)


async def process_in_savepoint(
    conn: Connection, ctx: RunContext, item: WorkItem, state: BatchState
) -> dict[str, Any]:
    try:
        async with conn.begin_nested():
            return await process_item(conn, ctx, item, state)
    except Exception as exc:  # one event's failure must not fail the batch
        log.exception("event %s/%s of request %s failed", item.index, item.sub_index, ctx.request.request_id)
        state.balances.clear()  # what the rolled-back savepoint wrote is gone
        return await _store_failure(conn, ctx, item, exc)


async def _store_failure(
    conn: Connection, ctx: RunContext, item: WorkItem, exc: Exception
) -> dict[str, Any]:
    """The raw event kept as `failed` (replayable once the cause is fixed), in a fresh savepoint."""
    error = {
        "code": "processing_failed",
        "message": f"the event could not be processed: {type(exc).__name__}",
    }
    trace: list[dict[str, Any]] = []
    row = base_row(ctx, item, trace)
    result = base_result(item)
    mapped = item.mapped
    if mapped is not None:
        row.mapped, row.client_event_id = mapped.to_json(), mapped.client_event_id
        if mapped.timestamp is not None:
            row.occurred_at = mapped.timestamp
        result["clientEventId"] = mapped.client_event_id
        trace.append({"step": "map", "ok": True, "mappingVersion": row.mapping_version})
    trace.append({"step": "process", "ok": False, "error": error})
    row.status, row.reason = "failed", error["message"]
    event_id = None
    try:
        async with conn.begin_nested():
            event_id = await event_store.insert_event(conn, row)
    except Exception:  # the answer still says what happened
        log.exception("could not store the failure of request %s", ctx.request.request_id)
    result.update(status="failed", eventId=event_id, reason=error["message"], error=error)
    return result
