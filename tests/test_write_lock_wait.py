"""The group writer gets SQLite's write lock soon after another process frees it.

With `inbound serve --workers N` on SQLite, each process's writer takes turns at the one write
lock. The driver polls for it without blocking the event loop (storage/driver.py); its pause
once grew to 50 ms, so a writer kept sleeping long after the other process had committed, and two
workers answered in 70-140 ms at p99. This holds the lock from another connection, as another
process would, frees it at a known moment, and measures how late the writer then starts.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

from storage import driver
from storage.driver import RawConnection

HOLD_SECONDS = 0.32  # long enough for the pauses to reach their longest


def test_the_writer_starts_soon_after_the_lock_is_freed(tmp_path: Path) -> None:
    path = tmp_path / "lock.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("CREATE TABLE t (n INTEGER)")
    other.execute("BEGIN IMMEDIATE")  # another process's write transaction
    freed: list[float] = []

    def free() -> None:
        time.sleep(HOLD_SECONDS)
        other.execute("COMMIT")
        freed.append(time.monotonic())

    async def write() -> float:
        raw = RawConnection(f"sqlite+aiosqlite:///{path}")
        try:
            async with raw.transaction() as tx:
                started = time.monotonic()
                await tx.executemany("INSERT INTO t (n) VALUES (?)", [(1,)])
            return started
        finally:
            await raw.close()

    holder = threading.Thread(target=free)
    holder.start()
    started = asyncio.run(write())
    holder.join()
    other.close()
    late = started - freed[0]
    assert 0 <= late < 3 * driver.WRITE_LOCK_POLL_MAX_SECONDS, late
