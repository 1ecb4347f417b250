"""What a request reads before it writes: the connector (with its credentials), and for ingest also
its event type's schema and the earning rules, all in one short read transaction.

Ingest keeps what it read per connector in memory (`Database.ingest_cache`) with the configuration
version it was read at, and reads only that version per request (storage/config_version.py):
triggers move it on any change to connectors, credentials, event types or rules, so a change
another process commits is still seen by the very next request, and an unchanged connector costs
one tiny read instead of two statements through SQLAlchemy and a pool checkout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import event_types
from connectors.auth import Credential, parse_auth_settings
from earning_rules import Rule
from errors import NotFound
from event_types.dates import DateBounds
from mapping import compile_cached
from pipeline.awards import load_rules
from pipeline.context import ConnectorSnapshot
from settings import Settings
from storage import connectors as connector_store
from storage.database import Connection, Database
from storage.rules import event_types_table

ACTIVE = frozenset({"active"})


@dataclass(frozen=True)
class Judging:
    """What judges a request's events: its event type (schema, date bounds, enhancers) and the
    earning rules, read together."""

    schema: dict[str, Any]
    rules: list[Rule]
    rule_statuses: frozenset[str]
    max_past_seconds: int | None = None  # None: the program's default (settings)
    max_future_seconds: int | None = None
    enhancers: tuple[dict[str, Any], ...] = ()


def date_bounds_of(judging: Judging, settings: Settings) -> DateBounds:
    """The event type's own date bounds, else the program's (INBOUND_MAX_PAST_DAYS, …)."""
    past, future = judging.max_past_seconds, judging.max_future_seconds
    return DateBounds(
        past if past is not None else settings.max_past_days * 86_400,
        future if future is not None else settings.max_future_seconds,
    )


def judging_of(type_row: dict[str, Any] | None, rules: list[Rule], statuses: frozenset[str]) -> Judging:
    if type_row is None:
        return Judging(_schema(None), rules, statuses)
    return Judging(
        _schema(type_row["json_schema"]),
        rules,
        statuses,
        type_row.get("max_past_seconds"),
        type_row.get("max_future_seconds"),
        tuple(type_row.get("enhancers") or ()),
    )


def credential_from_row(row: dict[str, Any]) -> Credential:
    return Credential(id=row["id"], value=row["value"], created_at=row["created_at"], test=bool(row["test"]))


class UnknownConnector(NotFound):
    """No connector has this id (a disabled one is a plain NotFound): its requests are counted,
    not logged row by row, so nobody can fill the database by posting to made-up URLs."""


def shown_id(connector_id: str) -> str:
    """An id as a message may quote it: a 60 KB path must not be echoed back, nor stored."""
    return repr(connector_id if len(connector_id) <= 64 else connector_id[:64] + "…")


def _not_found(connector_id: str, *, known: bool) -> NotFound:
    kind = NotFound if known else UnknownConnector
    return kind(f"no active connector {shown_id(connector_id)}", code="unknown_connector")


def snapshot_of(row: dict[str, Any], creds: list[dict[str, Any]], settings: Settings) -> ConnectorSnapshot:
    mapping = compile_cached(row["mapping"], **settings.mapping_bounds)
    creds_of = tuple(credential_from_row(c) for c in creds)
    return ConnectorSnapshot(row, parse_auth_settings(row["auth"]), creds_of, mapping)


async def _read_snapshot(
    conn: Connection, settings: Settings, connector_id: str, include_disabled: bool
) -> ConnectorSnapshot:
    row = await connector_store.get_connector(conn, connector_id)
    if row is None or (row["status"] != "active" and not include_disabled):
        raise _not_found(connector_id, known=row is not None)
    creds = await connector_store.list_credentials(conn, connector_id)
    return snapshot_of(row, creds, settings)


async def read_judging(
    conn: Connection, event_type: str, rule_statuses: frozenset[str] = ACTIVE
) -> Judging:
    type_row = (
        (await conn.execute(event_types_table.select().where(event_types_table.c.name == event_type)))
        .mappings()
        .first()
    )
    rules = await load_rules(conn, rule_statuses)
    return judging_of(dict(type_row) if type_row else None, rules, rule_statuses)


def _schema(stored: dict[str, Any] | None) -> dict[str, Any]:
    # Saved connectors always name a known type; it can only vanish if deleted since.
    return dict(stored) if stored is not None else event_types.BUILTIN["custom.basic"]["schema"]


async def load_snapshot(
    db: Database, settings: Settings, connector_id: str, *, include_disabled: bool = False
) -> ConnectorSnapshot:
    """The connector as this request sees it; unknown and disabled connectors look the same (404)."""
    async with db.read() as conn:
        return await _read_snapshot(conn, settings, connector_id, include_disabled)


# Connectors remembered per process at most; past it the cache starts again (unknown ids included).
CACHE_SIZE = 10_000


async def load_for_ingest(
    db: Database, settings: Settings, connector_id: str
) -> tuple[ConnectorSnapshot, Judging]:
    """The connector, its credentials, its event type and the active rules, as of the current
    configuration version: from the cache when nothing changed since it was read, else one read
    transaction of two statements. Unknown and disabled connectors are remembered too (404)."""
    version = await db.config_version.current()
    cached = db.ingest_cache.get(connector_id)
    if cached is None or cached[0] != version or cached[1] is not settings:
        try:
            found: Any = await _read_for_ingest(db, settings, connector_id)
        except NotFound as exc:
            found = exc
        if len(db.ingest_cache) >= CACHE_SIZE:
            db.ingest_cache.clear()
        # Read after the version: a change committed meanwhile moves the version past ours.
        cached = db.ingest_cache[connector_id] = (version, settings, found)
    if isinstance(cached[2], NotFound):
        raise type(cached[2])(cached[2].message, code=cached[2].code)
    return cached[2]


async def _read_for_ingest(
    db: Database, settings: Settings, connector_id: str
) -> tuple[ConnectorSnapshot, Judging]:
    async with db.read() as conn:
        found = await connector_store.get_connector_for_ingest(conn, connector_id)
        if found is None or found[0]["status"] != "active":
            raise _not_found(connector_id, known=found is not None)
        rules = await load_rules(conn, ACTIVE)
    row, creds, type_row = found
    return snapshot_of(row, creds, settings), judging_of(type_row, rules, ACTIVE)


async def connector_exists(db: Database, connector_id: str) -> bool:
    """Whether a connector has this id (active or not), from the ingest cache when it can."""
    cached = db.ingest_cache.get(connector_id)
    if cached is not None:
        return not isinstance(cached[2], UnknownConnector)
    async with db.read() as conn:
        return await connector_store.get_connector(conn, connector_id) is not None
