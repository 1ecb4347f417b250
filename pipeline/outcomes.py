"""What an earlier event got, for a repeat to answer with: its status, reason, awards and balance."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import events as event_store
from storage.ledger import entries
from storage.rules import versions_table as rule_versions_table


async def first_outcome(conn: AsyncConnection, first_id: int) -> dict[str, Any]:
    """What the first event with this identity got: a repeat answers with it.

    The awards have the shape a processed result has (rule id, version, name, points, entry id),
    and `balance` is the balance the first answer gave (None when the first was not processed).
    """
    first = await event_store.get_event(conn, first_id)
    ledger_step = next(
        (s for s in (first or {}).get("trace") or [] if isinstance(s, dict) and s.get("step") == "ledger"),
        None,
    )
    return {
        "eventId": first_id,
        "status": first["status"] if first else None,
        "reason": first["reason"] if first else None,
        "awards": await awards_of_event(conn, first_id),
        "balance": ledger_step.get("balance") if ledger_step else None,
    }


async def awards_of_event(conn: AsyncConnection, event_id: int) -> list[dict[str, Any]]:
    versions = rule_versions_table
    rows = await conn.execute(
        select(
            entries.c.id, entries.c.rule_id, entries.c.rule_version, entries.c.points, versions.c.definition
        )
        .select_from(
            entries.outerjoin(
                versions,
                (versions.c.rule_id == entries.c.rule_id) & (versions.c.version == entries.c.rule_version),
            )
        )
        .where(entries.c.event_id == event_id, entries.c.kind == "award")
        .order_by(entries.c.id)
    )
    return [
        {
            "ruleId": r.rule_id,
            "ruleVersion": r.rule_version,
            "name": (r.definition or {}).get("name"),
            "points": r.points,
            "entryId": r.id,
        }
        for r in rows
    ]
