"""Connector rows, their credentials (tokens/secrets, several at once for rotation) and mapping versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.secrets import reseal, seal, unseal
from storage.tables import Connector, Credential, EventType, MappingVersion

connectors = Connector.__table__  # type: ignore[attr-defined]
credentials = Credential.__table__  # type: ignore[attr-defined]
mapping_versions = MappingVersion.__table__  # type: ignore[attr-defined]
event_types = EventType.__table__  # type: ignore[attr-defined]

# The connector, its active credentials (a row each, in rotation order) and its event type's
# schema, in one statement: the ingest hot path's read is one round trip instead of three.
_CRED = ("id", "value", "test", "created_at")
_for_ingest = (
    select(
        connectors,
        *(credentials.c[name].label(f"credential_{name}") for name in _CRED),
        event_types.c.name.label("event_type_found"),
        event_types.c.json_schema.label("event_type_schema"),
        event_types.c.max_past_seconds.label("event_type_max_past_seconds"),
        event_types.c.max_future_seconds.label("event_type_max_future_seconds"),
        event_types.c.enhancers.label("event_type_enhancers"),
    )
    .select_from(
        connectors.outerjoin(
            credentials,
            and_(credentials.c.connector_id == connectors.c.id, credentials.c.revoked_at.is_(None)),
        ).outerjoin(event_types, event_types.c.name == connectors.c.event_type)
    )
    .where(connectors.c.id == bindparam("connector_id"))
    .order_by(credentials.c.created_at, credentials.c.id)
)


async def insert_connector(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(connectors.insert().values(**row))
    await conn.execute(
        mapping_versions.insert().values(
            connector_id=row["id"], version=1, expression=row["mapping"], created_at=row["created_at"]
        )
    )


async def get_connector(conn: AsyncConnection, connector_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(connectors).where(connectors.c.id == connector_id))).mappings().first()
    return dict(row) if row else None


async def get_connector_for_ingest(
    conn: AsyncConnection, connector_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None] | None:
    """The connector, its active credentials and its event type (`json_schema`, the date bounds and
    enhancers; None when that event type is gone), as `get_connector`, `list_credentials` and
    `get_event_type` would give them."""
    rows = (await conn.execute(_for_ingest, {"connector_id": connector_id})).mappings().all()
    if not rows:
        return None
    first = rows[0]
    row = {column.name: first[column.name] for column in connectors.columns}
    creds = [
        {name: r[f"credential_{name}"] for name in _CRED} for r in rows if r["credential_id"] is not None
    ]
    for cred in creds:
        cred["value"] = unseal(cred["value"])
    if first["event_type_found"] is None:
        return row, creds, None
    fields = ("json_schema", "max_past_seconds", "max_future_seconds", "enhancers")
    prefixed = {"json_schema": "event_type_schema"}
    type_row = {name: first[prefixed.get(name, f"event_type_{name}")] for name in fields}
    return row, creds, type_row


async def list_connectors(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(select(connectors).order_by(connectors.c.created_at, connectors.c.id))
    return [dict(r) for r in rows.mappings()]


async def update_connector(
    conn: AsyncConnection, connector_id: str, values: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Apply changes; a changed mapping becomes a new mapping version."""
    current = await get_connector(conn, connector_id)
    assert current is not None
    if "mapping" in values and values["mapping"] != current["mapping"]:
        version = current["mapping_version"] + 1
        values = {**values, "mapping_version": version}
        await conn.execute(
            mapping_versions.insert().values(
                connector_id=connector_id, version=version, expression=values["mapping"], created_at=now
            )
        )
    await conn.execute(
        update(connectors).where(connectors.c.id == connector_id).values(**values, updated_at=now)
    )
    updated = await get_connector(conn, connector_id)
    assert updated is not None
    return updated


async def delete_connector(conn: AsyncConnection, connector_id: str) -> None:
    await conn.execute(delete(credentials).where(credentials.c.connector_id == connector_id))
    await conn.execute(delete(mapping_versions).where(mapping_versions.c.connector_id == connector_id))
    await conn.execute(delete(connectors).where(connectors.c.id == connector_id))


async def list_mapping_versions(conn: AsyncConnection, connector_id: str) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(mapping_versions)
        .where(mapping_versions.c.connector_id == connector_id)
        .order_by(mapping_versions.c.version)
    )
    return [dict(r) for r in rows.mappings()]


async def insert_credential(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(credentials.insert().values(**{**row, "value": seal(row["value"])}))


async def list_credentials(
    conn: AsyncConnection, connector_id: str, *, active_only: bool = True
) -> list[dict[str, Any]]:
    query = select(credentials).where(credentials.c.connector_id == connector_id)
    if active_only:
        query = query.where(credentials.c.revoked_at.is_(None))
    rows = await conn.execute(query.order_by(credentials.c.created_at, credentials.c.id))
    return [{**r, "value": unseal(r["value"])} for r in rows.mappings()]


async def reseal_all(conn: AsyncConnection) -> int:
    """Every credential sealed with the first key (after `inbound rotate-key`); how many."""
    rows = (await conn.execute(select(credentials.c.id, credentials.c.value))).all()
    for credential_id, value in rows:
        await conn.execute(
            update(credentials).where(credentials.c.id == credential_id).values(value=reseal(value))
        )
    return len(rows)


async def revoke_credential(
    conn: AsyncConnection, connector_id: str, credential_id: str, now: datetime
) -> bool:
    result = await conn.execute(
        update(credentials)
        .where(
            credentials.c.connector_id == connector_id,
            credentials.c.id == credential_id,
            credentials.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return bool(result.rowcount)
