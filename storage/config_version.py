"""The configuration version: one number that moves on any change an ingest request would read.

Triggers (migration 0007) move it whenever connectors, credentials, event types or earning rules
change. The ingest path keeps connector snapshots in memory and reads only this number per
request: on SQLite with a plain sqlite3 read on the event loop (a WAL reader never waits for the
writer; ~10 µs, no thread hop), on PostgreSQL with one asyncpg round trip.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy.engine import make_url

_SELECT = "SELECT version FROM config_version WHERE id = 1"


class ConfigVersionReader:
    def __init__(self, url: str, schema: str | None = None) -> None:
        self._url = make_url(url)
        self._schema = schema
        self._postgres = self._url.get_backend_name() == "postgresql"
        self._sqlite: sqlite3.Connection | None = None
        self._pool: Any = None
        self._loop: Any = None

    async def current(self) -> int:
        if not self._postgres:
            if self._sqlite is None:
                self._sqlite = sqlite3.connect(
                    self._url.database or "", timeout=30, isolation_level=None, check_same_thread=False
                )
            row = self._sqlite.execute(_SELECT).fetchone()
            return int(row[0]) if row else 0
        import asyncio

        loop = asyncio.get_running_loop()
        if self._pool is not None and self._loop is not loop:
            self._pool.terminate()  # made on another event loop (one Database, two asyncio.run)
            self._pool = None
        if self._pool is None:
            import asyncpg

            self._loop = loop
            settings = {"search_path": self._schema} if self._schema else {}
            self._pool = await asyncpg.create_pool(
                host=self._url.host,
                port=self._url.port,
                user=self._url.username,
                password=self._url.password,
                database=self._url.database,
                server_settings=settings,
                min_size=1,
                max_size=4,
            )
        value = await self._pool.fetchval(_SELECT)
        return int(value) if value is not None else 0

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        import asyncio

        pool, self._pool = self._pool, None
        if pool is not None:
            if self._loop is asyncio.get_running_loop():
                await pool.close()
            else:
                pool.terminate()
