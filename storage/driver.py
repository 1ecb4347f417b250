"""The database drivers themselves, for the group writer: aiosqlite and asyncpg without SQLAlchemy.

SQLAlchemy Core cost ~210 µs of CPU per statement on the ingest path, more than SQLite's own
work; the group writer (pipeline/group_writer.py) runs a handful of set-based statements per
group of events straight on the driver instead. SQLModel and Alembic still own the schema.

Statements are written once with `?` placeholders; for PostgreSQL they are renumbered to `$n`.
Values are stored exactly as SQLAlchemy's column types store them, so rows written here and rows
written through SQLAlchemy read back the same: naive UTC timestamps (text on SQLite), JSON text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from storage.wal_checkpoints import CheckpointRounds

_PLACEHOLDER = re.compile(r"\?")
# How long a group waits for another process's SQLite write transaction (as busy_timeout did).
BUSY_SECONDS = 30.0
# The longest pause between two tries for SQLite's write lock.
WRITE_LOCK_POLL_MAX_SECONDS = 0.004


def json_text(value: Any) -> str:
    """JSON text as a column holds it; integers beyond 64 bits (kept exact in raw events) fall back."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def nullable_json(value: Any) -> str | None:
    return None if value is None else json_text(value)


def read_time(value: Any) -> Any:
    """A timestamp as a driver reads it back (SQLite: text; PostgreSQL: naive UTC) as aware UTC;
    None stays None."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class RawTransaction(ABC):
    """One open transaction on a driver connection: fetch and executemany."""

    postgres: bool

    @abstractmethod
    def ts(self, value: datetime) -> Any:
        """A timestamp as the UTCDateTime column stores it (naive UTC)."""

    @abstractmethod
    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Sequence[Any]]:
        """The rows of one statement (`?` placeholders)."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """One statement for each row, in one call to the driver."""


class _SqliteTransaction(RawTransaction):
    """Runs each statement right here, on the event loop: a group's statements take SQLite a few
    hundred µs in all, less than one hop to a driver thread costs once the event loop is busy
    (the thread waits for the GIL, up to the 5 ms switch interval, at every statement)."""

    postgres = False

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def ts(self, value: datetime) -> Any:
        return _sqlite_text(value)

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Sequence[Any]]:
        return self._conn.execute(sql, tuple(args)).fetchall()

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = [tuple(r) for r in rows]
        if batch:
            self._conn.executemany(sql, batch)


@lru_cache(maxsize=1024)
def _sqlite_text(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage format, microseconds always written, the year in four
    # digits (strftime's %Y gives "5" for the year 5). Cached: a group's rows share a handful of
    # instants (the requests' arrival, the events' own times).
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class _PostgresTransaction(RawTransaction):
    postgres = True

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def ts(self, value: datetime) -> Any:
        return value.astimezone(UTC).replace(tzinfo=None)

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Sequence[Any]]:
        return list(await self._conn.fetch(_numbered(sql), *args))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = [tuple(r) for r in rows]
        if batch:
            await self._conn.executemany(_numbered(sql), batch)


class ConnTransaction(RawTransaction):
    """A SQLAlchemy connection's open transaction seen as a RawTransaction, so that a step written
    once in plain SQL (`?` placeholders) runs on both write paths: the group writer's driver
    transaction and the per-event path's (or the admin API's) SQLAlchemy connection."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def ts(self, value: datetime) -> Any:
        return value.astimezone(UTC).replace(tzinfo=None) if self.postgres else _sqlite_text(value)

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Sequence[Any]]:
        names = iter(range(10_000))
        # A space after each name: `:p3::text[]` would not be read as a parameter and a cast.
        bound = _PLACEHOLDER.sub(lambda _m: f":p{next(names)} ", sql)
        result = await self._conn.execute(text(bound), {f"p{i}": v for i, v in enumerate(args)})
        return [tuple(row) for row in result.all()] if result.returns_rows else []

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            await self.fetch(sql, row)


_numbered_cache: dict[str, str] = {}


def _numbered(sql: str) -> str:
    """`?` placeholders as asyncpg's `$1, $2 …` (our statements hold no literal question marks)."""
    done = _numbered_cache.get(sql)
    if done is None:
        counter = iter(range(1, 10_000))
        done = _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)
        _numbered_cache[sql] = done
    return done


# Every SQLite connection of the service (storage/database.py adds its busy_timeout).
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON")


# Each statement planned for its own parameters and the tables' size now. asyncpg prepares every
# statement once per connection, and after five runs PostgreSQL may keep one generic plan for
# good: planned while the tables were small (a new database, before autovacuum's first ANALYZE),
# it read the whole of client_event_ids per group (a hash join on a sequential scan: 880 µs a group
# on average in a 10 s bench, 3.3 ms at 15,000 keys, growing). Measured, wrk singles, two pairs:
# PostgreSQL's own CPU 351/335 → 300/277 µs an event, events/s +12%.
PG_SESSION_SETTINGS = {"plan_cache_mode": "force_custom_plan"}


async def connect_asyncpg(url: URL, schema: str | None) -> Any:
    """An asyncpg connection to the database a SQLAlchemy URL names (search_path set to `schema`)."""
    import asyncpg

    return await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
        server_settings={**({"search_path": schema} if schema else {}), **PG_SESSION_SETTINGS},
    )


class RawConnection:
    """A driver connection of its own (the group writer holds one per process)."""

    def __init__(self, url: str, schema: str | None = None) -> None:
        self.url = make_url(url)
        self.schema = schema
        self.postgres = self.url.get_backend_name() == "postgresql"
        self._conn: Any = None
        self._loop: Any = None
        self._checkpoints = None if self.postgres else CheckpointRounds(self.url.database or "")

    async def _connect(self) -> Any:
        if self.postgres:
            return await connect_asyncpg(self.url, self.schema)
        # busy_timeout 0: the event loop never sleeps in SQLite's busy handler; `_begin` waits.
        path = self.url.database or ""
        conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
        for pragma in SQLITE_PRAGMAS:
            conn.execute(pragma)
        # This connection commits on the event loop: checkpoints run in rounds on a thread instead
        # (storage/wal_checkpoints.py).
        conn.execute("PRAGMA wal_autocheckpoint=0")
        return conn

    async def _begin(self, conn: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE, waiting (without blocking the event loop) while another process writes."""
        deadline = time.monotonic() + BUSY_SECONDS
        pause = 0.001
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(pause)
            # Short: the other writer (another process of `--workers N`) holds the lock for one
            # group, a few ms; up to 50 ms here left each process waiting after it was free (two
            # workers, wrk singles: p99 50-53 ms, against 23-25 with 4 ms).
            pause = min(pause * 2, WRITE_LOCK_POLL_MAX_SECONDS)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[RawTransaction]:
        """Committed when the block ends, rolled back on any exception. A connection that fails
        is dropped and opened anew for the next transaction."""
        loop = asyncio.get_running_loop()
        if self._conn is not None and self._loop is not loop:
            self._abandon()  # opened on another event loop (one Database used by two asyncio.run)
        if self._conn is None:
            self._conn = await self._connect()
            self._loop = loop
        conn = self._conn
        try:
            if self.postgres:
                async with conn.transaction():
                    yield _PostgresTransaction(conn)
            else:
                assert self._checkpoints is not None
                await self._checkpoints.before_transaction(conn)
                await self._begin(conn)
                try:
                    yield _SqliteTransaction(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                self._checkpoints.committed(conn.total_changes)
        except BaseException:
            await self._drop()
            raise

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):  # already broken: nothing more to release
            if self.postgres:
                await conn.close()
            else:
                conn.close()

    def _abandon(self) -> None:
        conn, self._conn = self._conn, None
        if self.postgres:
            conn.terminate()
        else:
            conn.close()

    async def close(self) -> None:
        if self._checkpoints is not None:
            await self._checkpoints.close()
        if self._conn is not None and self._loop is not asyncio.get_running_loop():
            self._abandon()
        await self._drop()
