"""Earning rules and their versions. Editing a rule appends a version; the ledger names the version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import Connector, EarningRule, EventType, RuleVersion

rules_table = EarningRule.__table__  # type: ignore[attr-defined]
versions_table = RuleVersion.__table__  # type: ignore[attr-defined]
connectors_table = Connector.__table__  # type: ignore[attr-defined]
event_types_table = EventType.__table__  # type: ignore[attr-defined]


async def insert_rule(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(rules_table.insert().values(**row))
    await conn.execute(
        versions_table.insert().values(
            rule_id=row["id"],
            version=row["version"],
            definition=row["definition"],
            created_at=row["created_at"],
        )
    )


async def update_rule(
    conn: AsyncConnection, current: dict[str, Any], values: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Write the next version of `current`, which the caller read with `get_rule(for_update=True)`
    in this same transaction (so two concurrent edits queue instead of losing one)."""
    rule_id = current["id"]
    version = current["version"] + 1
    await conn.execute(
        update(rules_table)
        .where(rules_table.c.id == rule_id)
        .values(**values, version=version, updated_at=now)
    )
    await conn.execute(
        versions_table.insert().values(
            rule_id=rule_id, version=version, definition=values["definition"], created_at=now
        )
    )
    updated = await get_rule(conn, rule_id)
    assert updated is not None
    return updated


async def get_rule(conn: AsyncConnection, rule_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    """The rule; `for_update` locks its row on PostgreSQL (SQLite writers are serialised already)."""
    query = select(rules_table).where(rules_table.c.id == rule_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row else None


async def list_rules(conn: AsyncConnection, statuses: frozenset[str] | None = None) -> list[dict[str, Any]]:
    query = select(rules_table)
    if statuses is not None:
        query = query.where(rules_table.c.status.in_(sorted(statuses)))
    rows = await conn.execute(query.order_by(rules_table.c.priority.desc(), rules_table.c.id))
    return [dict(r) for r in rows.mappings()]


async def list_rule_versions(conn: AsyncConnection, rule_id: str) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(versions_table).where(versions_table.c.rule_id == rule_id).order_by(versions_table.c.version)
    )
    return [dict(r) for r in rows.mappings()]


async def source_exists(conn: AsyncConnection, kind: str, value: str) -> bool:
    """Whether the connector or event type (`kind`) a rule's source names exists.

    The event type is read with a share lock on PostgreSQL: deleting an event type locks its row
    before counting the rules that name it (api/event_types.py), so a rule saved concurrently is
    either counted there or finds the event type gone here, never neither.
    """
    if kind == "connector":
        query = select(connectors_table.c.id).where(connectors_table.c.id == value)
    else:
        query = select(event_types_table.c.name).where(event_types_table.c.name == value)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(read=True)
    return (await conn.execute(query)).first() is not None


async def rules_naming(conn: AsyncConnection, kind: str, value: str) -> list[str]:
    """The ids of the rules (any status) whose current source names this connector or event type."""
    rows = await conn.execute(select(rules_table.c.id, rules_table.c.definition).order_by(rules_table.c.id))
    return [r.id for r in rows if (r.definition or {}).get("source", {}).get(kind) == value]
