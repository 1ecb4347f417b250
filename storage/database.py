"""Engines and transactions, the same API on SQLite and PostgreSQL.

SQLite has a single writer: write transactions start with BEGIN IMMEDIATE (so two writers never
deadlock upgrading a read lock) and, inside one process, queue on an asyncio lock instead of
spinning in SQLite's busy handler. PostgreSQL serialises per profile with row locks instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage.audit_slot import store_pending
from storage.config_version import ConfigVersionReader
from storage.driver import SQLITE_PRAGMAS, RawConnection

# An open connection (and its transaction) as `Database.read` and `Database.write` give it. Code
# outside storage/ only passes it on to storage/ functions, under this name: SQL stays here.
Connection = AsyncConnection

# What a database that cannot be reached or read raises, for callers outside storage/ to catch.
DatabaseError = SQLAlchemyError


def shown_url(url: str) -> str:
    """A database URL to print: never its password."""
    return make_url(url).render_as_string(hide_password=True)


def missing_sqlite_file(url: str) -> str | None:
    """The path of a SQLite database file that does not exist (connecting would create it empty)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or parsed.query.get("uri"):
        return None  # in memory, or a URI whose mode (ro, rwc …) says what happens
    return None if Path(database).exists() else database


# Group transactions one PostgreSQL server process has in flight at once (pipeline/group_writer.py).
POSTGRES_WRITER_LANES = 2


class _RolledBack(Exception):
    """Ends a `Database.rolled_back` transaction: whatever it wrote is undone."""


class Database:
    def __init__(self, url: str, *, schema: str | None = None, echo: bool = False) -> None:
        self.url = url
        self.schema = schema
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
            if schema:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        self._write_lock = asyncio.Lock()
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        # The group writer's own driver connections (pipeline/group_writer.py), and the writer.
        # SQLite has one writer at a time; PostgreSQL commits groups side by side, so a group's
        # round trips to the server overlap with the next group's instead of queueing behind them.
        self.raw_lanes = [
            RawConnection(url, schema) for _ in range(1 if self.is_sqlite else POSTGRES_WRITER_LANES)
        ]
        self.raw = self.raw_lanes[0]
        self.group_writer: Any = None
        # What ingest caches per connector, checked against the configuration version per request.
        self.config_version = ConfigVersionReader(url, schema)
        self.ingest_cache: dict[str, Any] = {}
        # Outgoing webhooks: the kinds subscribed to, as of a configuration version
        # (pipeline/outbox.py), and the delivery worker's wake-up call (pipeline/webhook_delivery.py).
        self.webhook_subscriptions: tuple[int, frozenset[tuple[str, bool]]] | None = None
        self.outbox_wakeup: Any = None
        # Requests to connector ids that do not exist, counted instead of logged (this process).
        self.unknown_connector_requests = 0

    @asynccontextmanager
    async def single_writer(self) -> AsyncIterator[None]:
        """On SQLite, this process's writers queue here rather than in SQLite's busy handler."""
        if self.is_sqlite:
            async with self._write_lock:
                yield
        else:
            yield

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed on success, rolled back on any exception. Within an
        admin request, the request's audit row is stored in it too (storage/audit_slot.py)."""
        if self.is_sqlite:
            async with self._write_lock, self.engine.connect() as conn:
                conn = await conn.execution_options(sqlite_begin="IMMEDIATE")
                async with conn.begin():
                    yield conn
                    await store_pending(conn)
        else:
            async with self.engine.begin() as conn:
                yield conn
                await store_pending(conn)

    @asynccontextmanager
    async def rolled_back(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction whose work is always undone (dry runs, replay previews): it takes
        the same locks and sees its own writes as a real one would, then rolls back."""
        try:
            async with self.write() as conn:
                yield conn
                raise _RolledBack
        except _RolledBack:
            pass

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    async def dispose(self) -> None:
        for lane in self.raw_lanes:
            await lane.close()
        await self.config_version.close()
        await self.engine.dispose()


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take over transaction control from the driver so BEGIN IMMEDIATE is ours to emit.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in ("PRAGMA busy_timeout=30000", *SQLITE_PRAGMAS):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")
