"""The configuration version: one number that moves on any change an ingest request would read.

Triggers (migration 0007) move it whenever connectors, credentials, event types or earning rules
change. The ingest path keeps connector snapshots in memory and reads only this number per
request: on SQLite with a plain sqlite3 read on the event loop (a WAL reader never waits for the
writer; ~10 µs, no thread hop), on PostgreSQL with one round trip on a connection of its own,
shared by the requests that arrive while a read is under way (the next read, never the one in
flight, so every request still sees every change committed before it arrived).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from typing import Any

from sqlalchemy.engine import make_url

from storage.driver import connect_asyncpg

_SELECT = "SELECT version FROM config_version WHERE id = 1"


class ConfigVersionReader:
    def __init__(self, url: str, schema: str | None = None) -> None:
        self._url = make_url(url)
        self._schema = schema
        self._postgres = self._url.get_backend_name() == "postgresql"
        self._sqlite: sqlite3.Connection | None = None
        self._conn: Any = None
        self._loop: Any = None
        self._next: asyncio.Future[int] | None = None  # the read the next arrivals wait for
        self._reader: asyncio.Task[None] | None = None

    async def current(self) -> int:
        if not self._postgres:
            if self._sqlite is None:
                self._sqlite = sqlite3.connect(
                    self._url.database or "", timeout=30, isolation_level=None, check_same_thread=False
                )
            row = self._sqlite.execute(_SELECT).fetchone()
            return int(row[0]) if row else 0
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # first use, or one Database used by a second asyncio.run
            self._abandon()
            self._loop = loop
        if self._next is None:
            self._next = loop.create_future()
        waiting = self._next
        if self._reader is None or self._reader.done():
            self._reader = loop.create_task(self._read())
        return await asyncio.shield(waiting)

    async def _read(self) -> None:
        """Serve the waiting requests, one round trip for all who arrived before it started."""
        while self._next is not None:
            waiting, self._next = self._next, None
            try:
                if self._conn is None:
                    self._conn = await self._connect()
                value = await self._conn.fetchval(_SELECT)
            except Exception as exc:
                self._abandon_connection()
                if not waiting.done():
                    waiting.set_exception(exc)
                continue
            if not waiting.done():
                waiting.set_result(int(value) if value is not None else 0)

    async def _connect(self) -> Any:
        return await connect_asyncpg(self._url, self._schema)

    def _abandon_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()

    def _abandon(self) -> None:
        self._abandon_connection()
        self._next = None
        self._reader = None

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._loop is asyncio.get_running_loop():
            if self._reader is not None and not self._reader.done():
                with contextlib.suppress(Exception):
                    await self._reader
            with contextlib.suppress(Exception):
                await conn.close()
        else:
            conn.terminate()
