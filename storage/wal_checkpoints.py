"""Checkpoints of the group writer's SQLite connection: the WAL copied back, and started over.

The writer commits on the event loop with SQLite's own checkpoints off: one there (copying the
WAL into the database file, with an fsync) held every request for 50-70 ms now and then. So every
CHECKPOINT_EVERY commits (or CHECKPOINT_ROWS rows) a round runs, in two passes:

1. On a thread, while the writer goes on committing: PASSIVE, again while a pass found much
   committed during the one before. It copies the bulk of the WAL.
2. Before the writer's next transaction, what was committed during pass 1 (a few dozen pages):
   PASSIVE on the writer's own connection, on the loop (median 1.7-2 ms; on a thread the writer
   waited 3.5-8 ms for the same). When that cannot copy everything, because another
   process writes (`inbound serve --workers N`) or a reader holds an older snapshot, FULL on the
   thread, which the writer waits for: it holds off other writers and waits for them and for
   such readers, at most CHECKPOINT_WAIT_SECONDS.

The WAL is then wholly copied, and SQLite starts it over at the next commit. Pass 1 alone races
every commit and never copies everything: the WAL then grew by every commit (~30 KB an event,
45 MB/s under load) until the disk was full.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

# A round starts after CHECKPOINT_EVERY commits of the group writer, or sooner once its commits
# changed CHECKPOINT_ROWS rows: groups of 500 events (batches) made 100 commits ~370 MB of WAL.
CHECKPOINT_EVERY = 100
CHECKPOINT_ROWS = 5_000
# Pass 1 runs PASSIVE up to BULK_PASSES times, until one copies at most FEW_FRAMES pages.
BULK_PASSES = 4
FEW_FRAMES = 64
# How long FULL waits for another process's write or an older read: a long admin read must not
# hold ingest (the next round tries again).
CHECKPOINT_WAIT_SECONDS = 0.1

Outcome = tuple[int, int, int]  # (busy, frames in the WAL, frames copied); -1s: another checkpoint ran


class CheckpointRounds:
    def __init__(self, path: str) -> None:
        self._path = path
        self._commits = 0
        self._rows_at_round = 0
        self._bulk: asyncio.Future[None] | None = None  # pass 1, under way or done
        self._finish_due = False
        self._conn: sqlite3.Connection | None = None  # the thread's

    def committed(self, rows_changed: int) -> None:
        """After each commit of the writer, with the connection's running count of rows changed:
        start a round every CHECKPOINT_EVERY commits or CHECKPOINT_ROWS rows."""
        self._commits += 1
        if rows_changed < self._rows_at_round:  # a new connection counts from 0
            self._rows_at_round = 0
        due = self._commits >= CHECKPOINT_EVERY or rows_changed - self._rows_at_round >= CHECKPOINT_ROWS
        if due and self._bulk is None and not self._finish_due:
            self._commits = 0
            self._rows_at_round = rows_changed
            self._bulk = asyncio.ensure_future(asyncio.to_thread(self._copy_bulk))

    async def before_transaction(self, writer: sqlite3.Connection) -> None:
        """Before the writer's next transaction, on its connection: finish the round whose pass 1
        is done."""
        if self._bulk is not None and self._bulk.done():
            self._bulk = None
            self._finish_due = True
        if not self._finish_due:
            return
        self._finish_due = False
        try:
            busy, frames, copied = _checkpoint(writer, "PASSIVE")
            if busy or copied < frames:
                busy, frames, copied = await asyncio.to_thread(self._checkpoint, "FULL")
        except sqlite3.Error:
            return  # the next round tries again
        if busy and frames < 0:
            # Another connection's checkpoint was running (another process's round): finish
            # once it is over, before a later transaction, rather than a whole round later.
            self._finish_due = True

    def _copy_bulk(self) -> None:
        """Pass 1: PASSIVE, again while each pass found much committed during the one before, so
        that pass 2 has little left to copy."""
        copied_before = 0
        for _ in range(BULK_PASSES):
            busy, _frames, copied = self._checkpoint("PASSIVE")
            if busy or copied - copied_before <= FEW_FRAMES:
                return
            copied_before = copied

    def _checkpoint(self, mode: str) -> Outcome:
        if self._conn is None:
            self._conn = sqlite3.connect(self._path, timeout=CHECKPOINT_WAIT_SECONDS, check_same_thread=False)
        return _checkpoint(self._conn, mode)

    async def close(self) -> None:
        if self._bulk is not None and self._bulk.get_loop() is asyncio.get_running_loop():
            with contextlib.suppress(Exception):
                await self._bulk
        self._bulk = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _checkpoint(conn: sqlite3.Connection, mode: str) -> Outcome:
    busy, frames, copied = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    return int(busy), int(frames), int(copied)
