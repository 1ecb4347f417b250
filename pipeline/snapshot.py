"""What a request reads before it writes: the connector (with its credentials), and for ingest also
its event type's schema and the earning rules, all in one short read transaction.

Nothing here is cached across requests except what is keyed by its own content (the compiled
mapping, parsed rule versions), so a change another process commits is seen by the very next
request: the rows are read every time. (Parsing the auth settings costs ~9 µs, not worth a cache.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

import event_types
from connectors.auth import Credential, parse_auth_settings
from earning_rules import Rule
from errors import NotFound
from mapping import compile_cached
from pipeline.awards import load_rules
from pipeline.context import ConnectorSnapshot
from settings import Settings
from storage import connectors as connector_store
from storage.database import Database
from storage.rules import event_types_table

ACTIVE = frozenset({"active"})


@dataclass(frozen=True)
class Judging:
    """What judges a request's events: its event type's schema and the earning rules, read together."""

    schema: dict[str, Any]
    rules: list[Rule]
    rule_statuses: frozenset[str]


def credential_from_row(row: dict[str, Any]) -> Credential:
    return Credential(id=row["id"], value=row["value"], created_at=row["created_at"], test=bool(row["test"]))


def snapshot_of(row: dict[str, Any], creds: list[dict[str, Any]], settings: Settings) -> ConnectorSnapshot:
    mapping = compile_cached(row["mapping"], **settings.mapping_bounds)
    creds_of = tuple(credential_from_row(c) for c in creds)
    return ConnectorSnapshot(row, parse_auth_settings(row["auth"]), creds_of, mapping)


async def _read_snapshot(
    conn: AsyncConnection, settings: Settings, connector_id: str, include_disabled: bool
) -> ConnectorSnapshot:
    row = await connector_store.get_connector(conn, connector_id)
    if row is None or (row["status"] != "active" and not include_disabled):
        raise NotFound(f"no active connector {connector_id!r}", code="unknown_connector")
    creds = await connector_store.list_credentials(conn, connector_id)
    return snapshot_of(row, creds, settings)


async def read_judging(
    conn: AsyncConnection, event_type: str, rule_statuses: frozenset[str] = ACTIVE
) -> Judging:
    type_row = (
        (await conn.execute(event_types_table.select().where(event_types_table.c.name == event_type)))
        .mappings()
        .first()
    )
    rules = await load_rules(conn, rule_statuses)
    return Judging(_schema(type_row["json_schema"] if type_row else None), rules, rule_statuses)


def _schema(stored: dict[str, Any] | None) -> dict[str, Any]:
    # Saved connectors always name a known type; it can only vanish if deleted since.
    return dict(stored) if stored is not None else event_types.BUILTIN["custom.basic"]["schema"]


async def load_snapshot(
    db: Database, settings: Settings, connector_id: str, *, include_disabled: bool = False
) -> ConnectorSnapshot:
    """The connector as this request sees it; unknown and disabled connectors look the same (404)."""
    async with db.read() as conn:
        return await _read_snapshot(conn, settings, connector_id, include_disabled)


async def load_for_ingest(
    db: Database, settings: Settings, connector_id: str
) -> tuple[ConnectorSnapshot, Judging]:
    """The connector, its credentials, its event type and the active rules: one read transaction of
    two statements (storage.connectors.get_connector_for_ingest, then the rules), read fresh for
    every request, so a change committed by any process is seen by the next request."""
    async with db.read() as conn:
        found = await connector_store.get_connector_for_ingest(conn, connector_id)
        if found is None or found[0]["status"] != "active":
            raise NotFound(f"no active connector {connector_id!r}", code="unknown_connector")
        rules = await load_rules(conn, ACTIVE)
    row, creds, schema = found
    return snapshot_of(row, creds, settings), Judging(_schema(schema), rules, ACTIVE)
