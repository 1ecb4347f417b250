"""Counterbalancing: a refund event reverses an earlier event's awards, fully or in part, never twice."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import ledger
from storage.events import first_with_client_event_id
from storage.profiles import profiles

entries = ledger.entries


async def reverse_awards(
    conn: AsyncConnection,
    *,
    connector_id: str,
    client_event_id: str,
    fraction: Decimal,
    event_id: int,
    test: bool,
    occurred_at: datetime,
    now: datetime,
) -> dict[str, Any]:
    """Write linked negative entries for the awards of the event with `client_event_id`.

    Each original entry can lose at most what it gave: what earlier reversals already took is
    subtracted, so a second full refund of the same order reverses nothing.
    """
    # A live refund reverses only live awards, a test refund only test ones.
    first_id = await first_with_client_event_id(conn, connector_id, client_event_id, test=test)
    step: dict[str, Any] = {"step": "reversal", "clientEventId": client_event_id, "fraction": str(fraction)}
    if first_id is None:
        step.update(
            ok=False,
            reason=f"no event with clientEventId {client_event_id!r} in this connector's "
            f"{'test' if test else 'live'} data to reverse",
        )
        return step
    originals = (
        await conn.execute(
            select(entries)
            .where(entries.c.event_id == first_id, entries.c.kind == "award")
            .order_by(entries.c.id)
        )
    ).all()
    reversed_entries = []
    for original in originals:
        if conn.dialect.name == "postgresql":  # refunds queue on the member like events do
            await conn.execute(
                select(profiles.c.id).where(profiles.c.id == original.profile_id).with_for_update()
            )
        taken = (
            await conn.execute(
                select(func.coalesce(func.sum(entries.c.points), 0)).where(
                    entries.c.reverses_entry_id == original.id
                )
            )
        ).scalar_one()
        remaining = original.points + int(taken)  # taken is ≤ 0 for a positive award
        wanted = int((Decimal(original.points) * fraction).to_integral_value(ROUND_HALF_UP))
        amount = min(wanted, remaining) if original.points > 0 else max(wanted, remaining)
        if amount == 0:
            reversed_entries.append({"entryId": original.id, "points": 0, "reason": "already fully reversed"})
            continue
        entry_id = await ledger.add_entry(
            conn,
            {
                "profile_id": original.profile_id,
                "points": -amount,
                "kind": "reversal",
                "rule_id": original.rule_id,
                "rule_version": original.rule_version,
                "event_id": event_id,
                "connector_id": connector_id,
                "reverses_entry_id": original.id,
                "test": test,
                "occurred_at": occurred_at,
                "created_at": now,
            },
        )
        reversed_entries.append({"entryId": original.id, "points": -amount, "reversalEntryId": entry_id})
    step.update(ok=True, reversedEvent=first_id, entries=reversed_entries)
    return step
