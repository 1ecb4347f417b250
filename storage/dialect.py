"""INSERT … ON CONFLICT for whichever backend a connection talks to (both support it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert(conn: AsyncConnection, table: Table) -> Any:
    """An INSERT that offers `.on_conflict_do_nothing()` / `.on_conflict_do_update()`."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def is_postgres(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"
