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


async def _commit_steadily(
    raw: RawConnection, commits: int, rows: int = 1, size: int = PAGE, pause: float = 0.0
) -> None:
    for n in range(commits):
        async with raw.transaction() as tx:
            body = [(n, os.urandom(size)) for _ in range(rows)]
            await tx.executemany("INSERT INTO filler (n, body) VALUES (?, ?)", body)
        # The event loop turns between groups: requests come and go, and a big group is judged
        # (a 500-event group takes the writer ~150 ms of CPU; a tenth of that here).
        await asyncio.sleep(pause)


def _wal_bytes(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0


def _prepare(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, n INTEGER, body BLOB)")
    conn.close()


def _wal_after(path: Path, writers: int, commits: int, rows: int, size: int, pause: float) -> int:
    """The WAL's size on disk after `commits` commits of `rows` rows, shared by `writers`."""
    _prepare(path)

    async def run() -> int:
        raws = [RawConnection(f"sqlite+aiosqlite:///{path}") for _ in range(writers)]
        try:
            share = commits // writers
            await asyncio.gather(*(_commit_steadily(raw, share, rows, size, pause) for raw in raws))
            return _wal_bytes(path)  # before the last connection closes (that empties it)
        finally:
            for raw in raws:
                await raw.close()

    wal = asyncio.run(run())
    assert sqlite3.connect(path).execute("SELECT count(*) FROM filler").fetchone()[0] == commits * rows
    return wal


# (writers, commits, rows a commit, bytes a row, pause between commits): single events from one
# writer or two (two processes of `inbound serve --workers 2` each have their own connection and
# rounds, which may collide: a checkpoint that finds the other's running tries again at the next
# transaction), and big groups (batches), which reach CHECKPOINT_ROWS long before
# CHECKPOINT_EVERY commits.
LOADS = {
    "one writer": (1, 16 * wal_checkpoints.CHECKPOINT_EVERY, 1, PAGE, 0.0),
    "two writers": (2, 16 * wal_checkpoints.CHECKPOINT_EVERY, 1, PAGE, 0.0),
    "big groups": (1, 40, 500, 1024, 0.015),
}


@pytest.mark.parametrize("load", sorted(LOADS))
def test_the_wal_stays_bounded_under_steady_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, load: str
) -> None:
    """The WAL ends far smaller than all that was committed, which is what it holds when no
    checkpoint runs at all."""
    writers, commits, rows, size, pause = LOADS[load]
    bounded = _wal_after(tmp_path / "checkpointed.db", writers, commits, rows, size, pause)
    monkeypatch.setattr(wal_checkpoints, "CHECKPOINT_EVERY", commits + 1)
    monkeypatch.setattr(wal_checkpoints, "CHECKPOINT_ROWS", commits * rows + 1)
    everything = _wal_after(tmp_path / "never.db", writers, commits, rows, size, pause)
    # Started over after every round (or every few), of sixteen or more.
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


def test_rows_are_counted_again_after_the_writer_reconnects(tmp_path: Path) -> None:
    """A dropped connection is opened anew and counts its changed rows from 0: the row trigger
    then counts from there, not from the old connection's total."""
    path = tmp_path / "wal.db"
    _prepare(path)
    rows = wal_checkpoints.CHECKPOINT_ROWS

    async def run() -> bool:
        rounds = wal_checkpoints.CheckpointRounds(str(path))
        writer = sqlite3.connect(path, isolation_level=None)
        try:
            rounds.committed(3 * rows)  # the old connection's count: a round starts
            await rounds.close()  # pass 1 over
            await rounds.before_transaction(writer)  # pass 2: the round is done
            rounds.committed(10)  # the new connection's first commit
            rounds.committed(10 + rows)
            started = rounds._bulk is not None
            await rounds.close()
            return started
        finally:
            writer.close()

    assert asyncio.run(run())
