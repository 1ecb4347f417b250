"""Counterbalancing: a refund event reverses an earlier event's awards, fully or in part, never twice.

Partial refunds add up exactly. Each refund records the event it reversed
(`events.reverses_event_id`); its mapped `reverses.fraction` says by how much. A refund takes,
per award, round(award × the refunds' cumulative fraction, at most 1) minus what earlier
refunds took, so three refunds of a third take 3, 4 and 3 of a 10-point award, all of it.

Locks (PostgreSQL): a refund from member X may reverse an award of member Y. Taking X (the
event's own profile) first and Y second would deadlock against a refund from Y reversing X's
award. So `pipeline.batch_state.prepare` locks X and every Y together, in id order, with every
other member of the batch (`storage.entries.awarded_by_claimed` names the Ys); the later locks
on the same rows are no-ops. Every other writer that takes several profiles (purge) takes them
in id order too.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from mapping.shape import fraction_to_json
from storage import entries as entry_store
from storage import ledger
from storage.database import Connection
from storage.events import first_with_client_event_id, get_event, refunds_of, update_event
from storage.locks import lock_profiles


def _fraction_of(mapped: Any) -> Decimal:
    """The `reverses.fraction` of a stored mapped event (a JSON number), 1 when absent."""
    reverses = mapped.get("reverses") if isinstance(mapped, dict) else None
    raw = reverses.get("fraction", 1) if isinstance(reverses, dict) else 1
    try:
        return Decimal(str(raw))
    except (InvalidOperation, ValueError):  # pragma: no cover - the shape check stored a number
        return Decimal(1)


async def _cumulative_fraction(
    conn: Connection, reversed_event_id: int, event_id: int, fraction: Decimal
) -> Decimal:
    """This refund's fraction plus those of the earlier refunds of the same event, at most 1.

    A replayed refund is the same refund: one fraction per raw event (request, index, sub-index),
    and this event's own earlier rows are replaced by its fraction now.
    """
    me = await get_event(conn, event_id)
    mine = (me["request_id"], me["index"], me["sub_index"]) if me else None
    rows = await refunds_of(conn, reversed_event_id, other_than=event_id)
    earlier: dict[tuple[Any, ...], Decimal] = {}
    for request_id, index, sub_index, mapped in rows:
        key = (request_id, index, sub_index)
        if key != mine and key not in earlier:
            earlier[key] = _fraction_of(mapped)
    return min(Decimal(1), sum(earlier.values(), Decimal(0)) + fraction)


async def reverse_awards(
    conn: Connection,
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
    step: dict[str, Any] = {
        "step": "reversal",
        "clientEventId": client_event_id,
        "fraction": fraction_to_json(fraction),
    }
    if first_id is None:
        step.update(
            ok=False,
            reason=f"no event with clientEventId {client_event_id!r} in this connector's "
            f"{'test' if test else 'live'} data to reverse",
        )
        return step
    originals = await entry_store.awards_of(conn, first_id, test=test)
    # Refunds queue on the members like events do; in id order (see the module docstring),
    # usually already held since the batch's prepare.
    await lock_profiles(conn, [int(o.profile_id) for o in originals])
    # Read under the locks: a concurrent refund of the same event has committed, or waits for us.
    cumulative = await _cumulative_fraction(conn, first_id, event_id, fraction)
    await update_event(conn, event_id, reverses_event_id=first_id)
    taken_by = await entry_store.taken_from(conn, [o.id for o in originals], test=test)
    reversed_entries: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    written: list[dict[str, Any]] = []  # the answer's line of each row, given its entry id below
    for original in originals:
        # Only the same ledger counts (an entry is test or live like the event that wrote it).
        taken, by_refunds = taken_by.get(original.id, (0, 0))
        remaining = original.points + taken  # taken is ≤ 0 for a positive award
        target = int((Decimal(original.points) * cumulative).to_integral_value(ROUND_HALF_UP))
        wanted = target + by_refunds  # by_refunds is what earlier refunds took, negative
        # Never more than what is left, never a refund that gives points back.
        amount = max(0, min(wanted, remaining)) if original.points > 0 else min(0, max(wanted, remaining))
        if amount == 0:
            reason = "already fully reversed" if remaining == 0 else "nothing more to take at this fraction"
            reversed_entries.append({"entryId": original.id, "points": 0, "reason": reason})
            continue
        line: dict[str, Any] = {"entryId": original.id, "points": -amount, "reversalEntryId": None}
        reversed_entries.append(line)
        written.append(line)
        rows.append(
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
            }
        )
    # One insert and one balance move for all of them (they were three statements an award).
    for line, entry_id in zip(written, await ledger.add_entries_once(conn, rows), strict=True):
        line["reversalEntryId"] = entry_id
    step.update(
        ok=True,
        reversedEvent=first_id,
        cumulativeFraction=fraction_to_json(cumulative),
        entries=reversed_entries,
    )
    return step
