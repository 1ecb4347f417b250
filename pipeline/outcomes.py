"""What an earlier event got, for a repeat to answer with: its status, reason, awards and balance."""

from __future__ import annotations

from typing import Any

from storage import events as event_store
from storage.database import Connection
from storage.entries import awards_of_event


async def first_outcome(conn: Connection, first_id: int) -> dict[str, Any]:
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
