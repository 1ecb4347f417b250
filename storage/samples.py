"""Saved samples of a connector (regression cases for its mapping) and the recent raw events to pick from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.events import events
from storage.tables import RequestLog, Sample

samples = Sample.__table__  # type: ignore[attr-defined]
requests_table = RequestLog.__table__  # type: ignore[attr-defined]


async def insert_sample(conn: AsyncConnection, row: dict[str, Any]) -> int:
    result = await conn.execute(samples.insert().values(**row).returning(samples.c.id))
    return int(result.scalar_one())


async def list_samples(conn: AsyncConnection, connector_id: str) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(samples).where(samples.c.connector_id == connector_id).order_by(samples.c.id)
    )
    return [dict(r) for r in rows.mappings()]


async def name_taken(conn: AsyncConnection, connector_id: str, name: str) -> bool:
    query = select(samples.c.id).where(samples.c.connector_id == connector_id, samples.c.name == name)
    return (await conn.execute(query)).first() is not None


async def delete_sample(conn: AsyncConnection, connector_id: str, sample_id: int) -> bool:
    result = await conn.execute(
        delete(samples).where(samples.c.connector_id == connector_id, samples.c.id == sample_id)
    )
    return bool(result.rowcount)


async def set_expected(conn: AsyncConnection, sample_id: int, expected: Any, mapping_version: int) -> None:
    await conn.execute(
        update(samples)
        .where(samples.c.id == sample_id)
        .values(expected=expected, mapping_version=mapping_version)
    )


async def recent_raw_events(conn: AsyncConnection, connector_id: str, limit: int) -> list[dict[str, Any]]:
    """The last raw events received, newest first, one per (request, index): the original row with
    sub_index 0 stands for its raw event (replays and fan-out siblings carry the same raw)."""
    query = (
        select(
            events.c.id,
            events.c.request_id,
            events.c.index,
            events.c.status,
            events.c.test,
            events.c.received_at,
            events.c.raw,
        )
        .where(events.c.connector_id == connector_id, events.c.replay_of.is_(None), events.c.sub_index == 0)
        .order_by(events.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def input_of_event(conn: AsyncConnection, connector_id: str, event_id: int) -> dict[str, Any] | None:
    """What the mapping saw for one event of this connector: its raw event, and the headers and
    query kept on its request (credentials left out; empty for requests logged before they were kept)."""
    query = (
        select(events.c.raw, requests_table.c.headers, requests_table.c.query)
        .select_from(events.outerjoin(requests_table, requests_table.c.id == events.c.request_id))
        .where(events.c.connector_id == connector_id, events.c.id == event_id)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return {"body": row.raw, "headers": dict(row.headers or {}), "query": dict(row.query or {})}
