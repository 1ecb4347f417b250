"""What the two backends need said differently: INSERT … ON CONFLICT, and pairs matched by index."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert(conn: AsyncConnection, table: Table) -> Any:
    """An INSERT that offers `.on_conflict_do_nothing()` / `.on_conflict_do_update()`."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def is_postgres(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


def pairs_in(first: Any, second: Any, pairs: Collection[tuple[Any, Any]]) -> ColumnElement[bool]:
    """(first, second) IN pairs, in a form SQLite searches by index. SQLite reads the whole table
    for a row-value IN list of more than one pair; `first IN (…) AND second IN (…)` lets it search
    an index, and the row-value test keeps the match exact."""
    listed = sorted(pairs)
    return and_(
        first.in_(sorted({a for a, _ in listed})),
        second.in_(sorted({b for _, b in listed})),
        tuple_(first, second).in_(listed),
    )
