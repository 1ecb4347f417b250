"""Counts for the overview: events per minute per connector, refusals, points per rule, failures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.ledger import entries
from storage.logs import events_table, requests_table
from storage.rules import rules_table


def _minute(conn: AsyncConnection, column: Any) -> ColumnElement[str]:
    """The minute a time falls in, as text 'YYYY-MM-DD HH:MM' (UTC) on both databases."""
    if conn.dialect.name == "postgresql":
        return func.to_char(func.date_trunc("minute", column), "YYYY-MM-DD HH24:MI")
    return func.substr(column, 1, 16)  # SQLite keeps naive UTC as 'YYYY-MM-DD HH:MM:SS.ffffff'


async def events_per_minute(
    conn: AsyncConnection, since: datetime, until: datetime, *, test: bool
) -> list[dict[str, Any]]:
    t = events_table
    minute = _minute(conn, t.c.received_at).label("minute")
    query = (
        select(t.c.connector_id, t.c.status, minute, func.count().label("count"))
        .where(t.c.received_at >= since, t.c.received_at < until, t.c.test == test)
        .group_by(t.c.connector_id, t.c.status, minute)
    )
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def refused_requests(conn: AsyncConnection, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Requests answered 4xx/5xx per minute, connector and error code (test or live alike:
    a refused request's mode is often unknown)."""
    t = requests_table
    minute = _minute(conn, t.c.received_at).label("minute")
    query = (
        select(t.c.connector_id, t.c.error_code, minute, func.count().label("count"))
        .where(t.c.received_at >= since, t.c.received_at < until, t.c.status_code >= 400)
        .group_by(t.c.connector_id, t.c.error_code, minute)
    )
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def points_per_rule(
    conn: AsyncConnection, since: datetime, until: datetime, *, test: bool
) -> list[dict[str, Any]]:
    """Points awarded (net of reversals) per rule for entries written in the window."""
    e, r = entries, rules_table
    query = (
        select(
            e.c.rule_id,
            r.c.name,
            func.sum(e.c.points).label("points"),
            func.count().filter(e.c.kind == "award").label("awards"),
        )
        .select_from(e.outerjoin(r, r.c.id == e.c.rule_id))
        .where(
            e.c.created_at >= since,
            e.c.created_at < until,
            e.c.test == test,
            e.c.rule_id.is_not(None),
        )
        .group_by(e.c.rule_id, r.c.name)
        .order_by(func.sum(e.c.points).desc())
    )
    return [dict(row) for row in (await conn.execute(query)).mappings()]
