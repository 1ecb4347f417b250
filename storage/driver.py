"""The database drivers themselves, for the group writer: aiosqlite and asyncpg without SQLAlchemy.

SQLAlchemy Core cost ~210 µs of CPU per statement on the ingest path, more than SQLite's own
work; the group writer (pipeline/group_writer.py) runs a handful of set-based statements per
group of events straight on the driver instead. SQLModel and Alembic still own the schema.

Statements are written once with `?` placeholders; for PostgreSQL they are renumbered to `$n`.
Values are stored exactly as SQLAlchemy's column types store them, so rows written here and rows
written through SQLAlchemy read back the same: naive UTC timestamps (text on SQLite), JSON text.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.engine import make_url

_PLACEHOLDER = re.compile(r"\?")


def json_text(value: Any) -> str:
    """JSON text as a column holds it; integers beyond 64 bits (kept exact in raw events) fall back."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def nullable_json(value: Any) -> str | None:
    return None if value is None else json_text(value)


class RawTransaction:
    """One open transaction on a driver connection: fetch, execute, executemany."""

    postgres: bool

    def ts(self, value: datetime) -> Any:
        """A timestamp as the UTCDateTime column stores it (naive UTC)."""
        raise NotImplementedError

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Sequence[Any]]:
        raise NotImplementedError

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError


class _SqliteTransaction(RawTransaction):
    postgres = False

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def ts(self, value: datetime) -> Any:
        # SQLAlchemy's SQLite DATETIME storage format, microseconds always written.
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Sequence[Any]]:
        return list(await self._conn.execute_fetchall(sql, tuple(args)))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = [tuple(r) for r in rows]
        if batch:
            await self._conn.executemany(sql, batch)


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


_numbered_cache: dict[str, str] = {}


def _numbered(sql: str) -> str:
    """`?` placeholders as asyncpg's `$1, $2 …` (our statements hold no literal question marks)."""
    done = _numbered_cache.get(sql)
    if done is None:
        counter = iter(range(1, 10_000))
        done = _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)
        _numbered_cache[sql] = done
    return done


class RawConnection:
    """A driver connection of its own (the group writer holds one per process)."""

    def __init__(self, url: str, schema: str | None = None) -> None:
        self.url = make_url(url)
        self.schema = schema
        self.postgres = self.url.get_backend_name() == "postgresql"
        self._conn: Any = None
        self._loop: Any = None

    async def _connect(self) -> Any:
        if self.postgres:
            import asyncpg

            settings = {"search_path": self.schema} if self.schema else {}
            return await asyncpg.connect(
                host=self.url.host,
                port=self.url.port,
                user=self.url.username,
                password=self.url.password,
                database=self.url.database,
                server_settings=settings,
            )
        import aiosqlite

        conn = await aiosqlite.connect(self.url.database or "", isolation_level=None, timeout=30)
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA busy_timeout=30000",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
        ):
            await conn.execute(pragma)
        return conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[RawTransaction]:
        """Committed when the block ends, rolled back on any exception. A connection that fails
        is dropped and opened anew for the next transaction."""
        import asyncio

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
                await conn.execute("BEGIN IMMEDIATE")
                try:
                    yield _SqliteTransaction(conn)
                except BaseException:
                    await conn.execute("ROLLBACK")
                    raise
                await conn.execute("COMMIT")
        except BaseException:
            await self._drop()
            raise

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):  # already broken: nothing more to release
            await conn.close()

    def _abandon(self) -> None:
        conn, self._conn = self._conn, None
        if self.postgres:
            conn.terminate()
        else:
            conn.stop()

    async def close(self) -> None:
        import asyncio

        if self._conn is not None and self._loop is not asyncio.get_running_loop():
            self._abandon()
        await self._drop()
