"""Group commit: one writer per process takes the events of concurrent requests and commits them together.

A request's chunk is planned in its own task (pipeline/group_plan.py), queued, and answered when
the transaction that wrote it commits: nothing acknowledged is lost. The writer takes everything
queued (up to `MAX_GROUP_EVENTS`) as one group; the next group starts as soon as the previous
commit ends, with no timer, so a request alone waits for nothing and a busy server pays one
transaction for many requests. The group's steps (pipeline/group_steps.py) are set-based and run
on the driver itself (storage/driver.py).

On PostgreSQL up to `POSTGRES_WRITER_LANES` groups are in flight at once, each on its own
connection: requests that arrive while one group waits on the server form the next one, as two
server processes would. They take their locks in the same global order (storage/locks.py).

A group that fails (a database error, a bug) is rolled back whole and each of its jobs runs again
on its own through the per-chunk path (pipeline/batch.py), which retries event by event: a
failing event fails alone.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from pipeline import metrics
from pipeline.batch import run_chunk_with
from pipeline.group_plan import Job, plan_job
from pipeline.group_steps import write_group
from pipeline.outbox import subscriptions
from pipeline.outcomes import first_outcome
from pipeline.reactions import follow_up
from pipeline.webhook_delivery import wake
from storage.database import Database
from storage.driver import RawConnection
from storage.logs import log_request

log = logging.getLogger("inbound.pipeline")


@dataclass
class WriterStats:
    """Counts of this process's writers: committed groups and their events, and groups that failed
    and were written job by job (the tests require none where nothing was meant to fail)."""

    groups: int = 0
    events: int = 0
    fallbacks: int = 0


stats = WriterStats()

# Events per transaction at most: a long group would hold the single writer (SQLite) or its
# members' locks (PostgreSQL) for longer than a request should wait.
MAX_GROUP_EVENTS = 500


class GroupWriter:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: list[Job] = []
        # One drain task per lane (a driver connection): SQLite has one, PostgreSQL more, so
        # while one group waits on the server the next is already being written.
        self._tasks: list[asyncio.Task[None] | None] = [None] * len(db.raw_lanes)
        self.loop = asyncio.get_running_loop()

    async def write(self, job: Job) -> tuple[list[dict[str, Any]], bool]:
        """The job's results once committed, and whether its request-log row was written with them."""
        plan_job(job)
        job.future = self.loop.create_future()
        self._queue.append(job)
        for lane, task in enumerate(self._tasks):
            if task is None or task.done():
                self._tasks[lane] = asyncio.create_task(self._drain(self._db.raw_lanes[lane]))
                break
        return await asyncio.shield(job.future)

    async def _drain(self, raw: RawConnection) -> None:
        while self._queue:
            group: list[Job] = []
            size = 0
            while self._queue and (not group or size + len(self._queue[0].items) <= MAX_GROUP_EVENTS):
                job = self._queue.pop(0)
                group.append(job)
                size += len(job.items)
            try:
                await self._write(group, raw)
            except BaseException as exc:  # never leave a request waiting
                for job in group:
                    if job.future is not None and not job.future.done():
                        job.future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise

    async def _write(self, group: list[Job], raw: RawConnection) -> None:
        subscribed = await subscriptions(self._db)
        try:
            async with self._db.single_writer(), raw.transaction() as tx:
                messages = await write_group(tx, group, subscribed)
        except Exception:
            log.warning("a group of %d requests failed; writing each on its own", len(group), exc_info=True)
            stats.fallbacks += 1
            metrics.GROUP_FALLBACKS.inc()
            for job in group:
                await self._write_alone(job)
            return
        stats.groups += 1
        if messages:
            wake(self._db)
        size = sum(len(job.items) for job in group)
        stats.events += size
        metrics.GROUP_EVENTS.observe(size)
        duplicates = [e for job in group for e in job.events if e.first_id is not None]
        if duplicates:
            async with self._db.read() as conn:
                for planned in duplicates:
                    assert planned.first_id is not None
                    planned.result["first"] = await first_outcome(conn, planned.first_id)
        for job in group:
            follow_up(self._db, job.ctx.settings, job.results)
            _answer(job, (job.results, job.log_row is not None))

    async def _write_alone(self, job: Job) -> None:
        before_commit = None
        if job.log_row is not None:
            log_row = job.log_row

            async def before_commit(conn: Any, last: list[dict[str, Any]]) -> None:
                await log_request(conn, log_row(job.earlier + last))

        try:
            _answer(job, await run_chunk_with(self._db, job.ctx, job.items, before_commit))
        except Exception as exc:
            if job.future is not None and not job.future.done():
                job.future.set_exception(exc)


def _answer(job: Job, outcome: tuple[list[dict[str, Any]], bool]) -> None:
    if job.future is not None and not job.future.done():
        job.future.set_result(outcome)


def writer_of(db: Database) -> GroupWriter:
    """The process's writer for `db`, on the running event loop."""
    writer = db.group_writer
    if writer is None or writer.loop is not asyncio.get_running_loop():
        writer = db.group_writer = GroupWriter(db)
    return writer
