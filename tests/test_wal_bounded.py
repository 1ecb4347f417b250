"""Under steady writes the SQLite WAL is copied back and started over: it does not grow for good.

The group writer commits on its own connection and checkpoints on a thread every
CHECKPOINT_EVERY commits (storage/wal_checkpoints.py). A checkpoint that races every commit never copies
the whole WAL, so SQLite never starts it over: it grew by every commit, ~45 MB/s under load,
until the disk was full. These drive the real driver on a real file, commits back to back as
under load, the event loop turning between them as it does between groups.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from storage import wal_checkpoints
from storage.driver import RawConnection

PAGE = 4096
COMMITS = 16 * wal_checkpoints.CHECKPOINT_EVERY


async def _commit_steadily(raw: RawConnection, commits: int) -> None:
    for n in range(commits):
        async with raw.transaction() as tx:
            await tx.executemany("INSERT INTO filler (n, body) VALUES (?, ?)", [(n, os.urandom(PAGE))])
        await asyncio.sleep(0)  # the event loop turns between groups (requests come and go)


def _wal_bytes(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0


def _prepare(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, n INTEGER, body BLOB)")
    conn.close()


def _wal_after_steady_commits(path: Path, writers: int) -> int:
    """The WAL's size on disk after COMMITS commits shared by `writers` connections."""
    _prepare(path)

    async def run() -> int:
        raws = [RawConnection(f"sqlite+aiosqlite:///{path}") for _ in range(writers)]
        try:
            await asyncio.gather(*(_commit_steadily(raw, COMMITS // writers) for raw in raws))
            return _wal_bytes(path)  # before the last connection closes (that empties it)
        finally:
            for raw in raws:
                await raw.close()

    wal = asyncio.run(run())
    assert sqlite3.connect(path).execute("SELECT count(*) FROM filler").fetchone()[0] == COMMITS
    return wal


@pytest.mark.parametrize("writers", [1, 2])
def test_the_wal_stays_bounded_under_steady_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writers: int
) -> None:
    """One writer, or two (two processes of `inbound serve --workers 2` each have their own
    connection and checkpoints, and their rounds may collide: a checkpoint that finds the other's
    running tries again next round): the WAL ends far smaller than all that was committed, which
    is what it holds when no checkpoint runs at all."""
    bounded = _wal_after_steady_commits(tmp_path / "checkpointed.db", writers)
    monkeypatch.setattr(wal_checkpoints, "CHECKPOINT_EVERY", COMMITS + 1)
    everything = _wal_after_steady_commits(tmp_path / "never.db", writers)
    # Started over after every round of CHECKPOINT_EVERY commits (or every few), of sixteen.
    assert 0 < bounded < everything / 2, (bounded, everything)


def test_a_reader_holding_an_old_snapshot_does_not_hold_the_writer(tmp_path: Path) -> None:
    """The checkpoint that completes a round waits for an older read at most
    CHECKPOINT_WAIT_SECONDS: a long admin read (an open snapshot here) delays no commit longer."""
    path = tmp_path / "wal.db"
    _prepare(path)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM filler").fetchone()  # holds its snapshot open

    async def run() -> float:
        raw = RawConnection(f"sqlite+aiosqlite:///{path}")
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            await _commit_steadily(raw, 3 * wal_checkpoints.CHECKPOINT_EVERY)
        finally:
            await raw.close()
        return loop.time() - started

    took = asyncio.run(run())
    reader.execute("COMMIT")
    reader.close()
    # Three rounds, each waiting for the reader at most CHECKPOINT_WAIT_SECONDS, plus the commits.
    assert took < 3 * wal_checkpoints.CHECKPOINT_WAIT_SECONDS + 1.5, took
