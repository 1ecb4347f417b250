"""The request log, the event log and the admin log: write one request, list and filter them, page by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import insert
from storage.tables import AdminLog, Event, Profile, RequestLog

requests_table = RequestLog.__table__  # type: ignore[attr-defined]
events_table = Event.__table__  # type: ignore[attr-defined]
profiles_table = Profile.__table__  # type: ignore[attr-defined]
admin_log_table = AdminLog.__table__  # type: ignore[attr-defined]


_insert_request = requests_table.insert()


async def log_request(conn: AsyncConnection, row: dict[str, Any]) -> None:
    # Built once, executed with parameters (compiled once per set of columns present).
    await conn.execute(_insert_request, row)


async def log_request_once(conn: AsyncConnection, row: dict[str, Any]) -> None:
    """`log_request`, unless a row with this request id is already there (written with the
    request's events by a commit that then reported an error)."""
    await conn.execute(insert(conn, requests_table).on_conflict_do_nothing(index_elements=["id"]), row)


@dataclass(frozen=True)
class LogFilter:
    connector_id: str | None = None
    status: str | None = None
    profile_id: int | None = None
    request_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    test: bool | None = None
    limit: int = 50
    before: str | int | None = None  # cursor: the id of the last item of the previous page
    refused: bool | None = None  # requests only: answered 4xx/5xx (True) or 2xx (False)
    error_code: str | None = None  # requests only
    event_type: str | None = None  # events only


async def list_requests(conn: AsyncConnection, f: LogFilter) -> list[dict[str, Any]]:
    t = requests_table
    query = select(t)
    if f.connector_id:
        query = query.where(t.c.connector_id == f.connector_id)
    if f.status:
        query = query.where(t.c.status_code == int(f.status))
    if f.refused is not None:
        query = query.where(t.c.status_code >= 400 if f.refused else t.c.status_code < 400)
    if f.error_code:
        query = query.where(t.c.error_code == f.error_code)
    if f.since:
        query = query.where(t.c.received_at >= f.since)
    if f.until:
        query = query.where(t.c.received_at < f.until)
    if f.test is not None:
        query = query.where(t.c.test == f.test)
    if f.before is not None:
        # Request ids sort by time (see pipeline.new_request_id), so they page like numbers.
        query = query.where(t.c.id < str(f.before))
    rows = await conn.execute(query.order_by(t.c.id.desc()).limit(f.limit))
    return [dict(r) for r in rows.mappings()]


async def get_request(conn: AsyncConnection, request_id: str) -> dict[str, Any] | None:
    t = requests_table
    row = (await conn.execute(select(t).where(t.c.id == request_id))).mappings().first()
    return dict(row) if row else None


async def list_events(conn: AsyncConnection, f: LogFilter) -> list[dict[str, Any]]:
    """Newest first, each with its member's identity (profile_kind, profile_value) to show."""
    t, p = events_table, profiles_table
    query = select(t, p.c.kind.label("profile_kind"), p.c.value.label("profile_value")).select_from(
        t.outerjoin(p, p.c.id == t.c.profile_id)
    )
    if f.connector_id:
        query = query.where(t.c.connector_id == f.connector_id)
    if f.status:
        query = query.where(t.c.status == f.status)
    if f.profile_id is not None:
        query = query.where(t.c.profile_id == f.profile_id)
    if f.event_type:
        query = query.where(t.c.event_type == f.event_type)
    if f.request_id:
        query = query.where(t.c.request_id == f.request_id)
    if f.since:
        query = query.where(t.c.received_at >= f.since)
    if f.until:
        query = query.where(t.c.received_at < f.until)
    if f.test is not None:
        query = query.where(t.c.test == f.test)
    if f.before is not None:
        query = query.where(t.c.id < int(f.before))
    rows = await conn.execute(query.order_by(t.c.id.desc()).limit(f.limit))
    return [dict(r) for r in rows.mappings()]


async def list_admin_log(
    conn: AsyncConnection,
    *,
    connector_id: str | None = None,
    action: str | None = None,
    limit: int = 50,
    before: int | None = None,
) -> list[dict[str, Any]]:
    """What admins did in bulk (purges, replays), newest first."""
    t = admin_log_table
    query = select(t)
    if connector_id:
        query = query.where(t.c.connector_id == connector_id)
    if action:
        query = query.where(t.c.action == action)
    if before is not None:
        query = query.where(t.c.id < before)
    rows = await conn.execute(query.order_by(t.c.id.desc()).limit(limit))
    return [dict(r) for r in rows.mappings()]
