"""One mapped event through the pipeline: profile, idempotency, schema, earning rules, ledger, event row.

It runs inside a transaction (and, in a batch, a savepoint) that the caller owns; the locks it
needs were taken up front by `pipeline.batch.prepare`, which also resolved its profile.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import event_types
from errors import MappingError, SkippedByMapping
from mapping import MappedEvent
from mapping.identity import normalise_identity
from pipeline.batch_state import BatchState, prepare
from pipeline.context import RunContext, WorkItem
from pipeline.enhance import counts_nth, member_facts, reads_attributes, with_nth
from pipeline.event_way import LiveWay, way_of
from pipeline.outbox import enqueue_for_event
from pipeline.outcomes import first_outcome
from pipeline.reactions import Reacting, depth_of, react
from pipeline.reversal import reverse_awards
from storage import events as event_store
from storage import webhooks as webhook_store
from storage.database import Connection
from storage.driver import ConnTransaction
from storage.events import EventRow
from storage.profiles import attributes_of


def parked_reason(kind: str, value: str) -> str:
    return (
        f"no member {kind}:{value} yet, and this connector credits members only: parked, and processed "
        "as of when it happened once they register"
    )


def event_type_errors(ctx: RunContext, mapped: MappedEvent) -> list[str]:
    """Why the event does not fit its event type: its date bounds (when it happened, against when
    it was received), then its JSON Schema. [] when it fits."""
    errors = []
    if ctx.date_bounds is not None and mapped.timestamp is not None:
        errors = ctx.date_bounds.errors(mapped.timestamp, ctx.request.received_at)
    if ctx.schema is not None and not event_types.accepts_every_payload(ctx.schema):
        errors += event_types.schema_errors(ctx.schema, mapped.payload_json())
    return errors


def dedupe_key(event_type: str, profile_id: int, mapped: MappedEvent) -> str:
    text = json.dumps([event_type, profile_id, mapped.payload_json()], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def profile_json(
    kind: str, value: str, profile_id: int | None = None, created: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "value": value}
    if profile_id is not None:
        body.update(id=profile_id, created=created)
    return body


def base_row(ctx: RunContext, item: WorkItem, trace: list[dict[str, Any]]) -> EventRow:
    """The event row as far as the request alone says: where it came from, when, in which data."""
    now = ctx.request.received_at
    return EventRow(
        request_id=ctx.request.request_id,
        connector_id=ctx.snapshot.id,
        index=item.index,
        sub_index=item.sub_index,
        raw=item.raw,
        mapping_version=ctx.snapshot.row["mapping_version"],
        test=ctx.test,
        received_at=now,
        occurred_at=now,
        event_type=ctx.event_type,
        trace=trace,
    )


def base_result(item: WorkItem) -> dict[str, Any]:
    # Every key of a result, null while unknown (a failed mapping has no clientEventId or profile).
    return {
        "index": item.index,
        "subIndex": item.sub_index,
        "status": None,
        "eventId": None,
        "clientEventId": None,
        "profile": None,
        "reason": None,
    }


@dataclass
class _Event:
    """One event on its way through `process_item`: its row, answer and trace as they grow."""

    conn: Connection
    ctx: RunContext
    row: EventRow
    result: dict[str, Any]
    trace: list[dict[str, Any]]
    mapped: MappedEvent | None = None
    profile_id: int = 0

    async def finish(self, status: str, reason: str | None = None, **extra: Any) -> dict[str, Any]:
        """Written as it stands, with this outcome: the steps after are skipped."""
        self.row.status, self.row.reason = status, reason
        event_id = await event_store.insert_event(self.conn, self.row)
        self.result.update(status=status, eventId=event_id, reason=reason, **extra)
        return self.result


async def process_item(
    conn: Connection, ctx: RunContext, item: WorkItem, state: BatchState | None = None
) -> dict[str, Any]:
    """Process one event. `state` is what `prepare` set up for the batch it belongs to; alone
    (a replay), it is prepared here for this one event. A replayed event takes the same steps,
    some of them its own way (pipeline/event_way.py)."""
    if state is None:
        state = await prepare(conn, ctx, [item])
    way = way_of(item)
    trace: list[dict[str, Any]] = []
    e = _Event(conn, ctx, base_row(ctx, item, trace), base_result(item), trace)
    way.start(e.row, trace, ctx.request.received_at)
    done = await _map_step(e, item)
    done = done or await _profile_step(e, state)
    if done is not None:
        return done
    await _member_attributes_step(e)
    done = await _identical_step(e, way)
    done = done or await _schema_step(e)
    if done is not None:
        return done
    await _place_step(e, way)
    # Insert first so the idempotency key and the ledger entries can point at this event.
    e.row.status = "processed"
    event_id = await event_store.insert_event(conn, e.row)
    done = await _claim_step(e, way, event_id)
    if done is not None:
        return done
    reversal = await _reversal_step(e, way, state, event_id)
    return await _award_step(e, way, state, event_id, reversal)


async def _map_step(e: _Event, item: WorkItem) -> dict[str, Any] | None:
    """Skipped or failed by its mapping (written as such), or mapped: then on."""
    row, trace = e.row, e.trace
    if isinstance(item.error, SkippedByMapping):
        trace.append({"step": "map", "ok": True, "mappingVersion": row.mapping_version, "skipped": True})
        return await e.finish("skipped", item.error.message)
    if item.error is not None or item.mapped is None:
        error = item.error or MappingError("the mapping returned nothing for this event")
        trace.append({"step": "map", "ok": False, "error": error.to_json()["error"]})
        return await e.finish("failed", error.message, error=error.to_json()["error"])
    mapped = e.mapped = item.mapped
    row.mapped = mapped.to_json()
    row.client_event_id = mapped.client_event_id
    e.result["clientEventId"] = mapped.client_event_id
    if mapped.timestamp is not None:
        row.occurred_at = mapped.timestamp
    trace.append({"step": "map", "ok": True, "mappingVersion": row.mapping_version})
    if item.enhanced:
        trace.append({"step": "enhance", "ok": True, **item.enhanced})
    return None


async def _profile_step(e: _Event, state: BatchState) -> dict[str, Any] | None:
    """Its member: none named (ignored), unknown to a connector that creates none (parked), or
    found or created, and locked, up front by `prepare` (a refund's other members with it)."""
    assert e.mapped is not None
    mapped = e.mapped
    if not mapped.profile_value or not mapped.profile_value.strip():
        reason = "no profile identifier: profile.value is missing or empty"
        e.trace.append({"step": "profile", "ok": False, "reason": reason})
        return await e.finish("ignored", reason, profile=None)
    kind, value = normalise_identity(mapped.profile_kind, mapped.profile_value)
    profile = state.profile(kind, value)
    if profile is None:
        reason = parked_reason(kind, value)
        e.trace.append({"step": "profile", "ok": False, "reason": reason})
        return await e.finish("parked", reason, profile=profile_json(kind, value))
    e.profile_id = e.row.profile_id = profile.id
    e.result["profile"] = profile_json(kind, value, profile.id, profile.created)
    e.trace.append(
        {
            "step": "profile",
            "ok": True,
            "profileId": profile.id,
            "created": profile.created,
            "kind": kind,
            "value": value,
        }
    )
    return None


async def _member_attributes_step(e: _Event) -> None:
    """The member's attributes as facts, before duplicates and limits see the event (as the group
    writer does)."""
    assert e.mapped is not None
    if reads_attributes(e.ctx.enhancers):
        attributes = await attributes_of(e.conn, e.profile_id)
        e.mapped, added = member_facts(e.mapped, e.ctx.member_enhancers, attributes)
        e.row.mapped = e.mapped.to_json()
        e.trace.append({"step": "enhance", "ok": True, "member": True, **added})


async def _identical_step(e: _Event, way: LiveWay) -> dict[str, Any] | None:
    """Without a clientEventId: a duplicate of an identical event received within the window."""
    assert e.mapped is not None
    if e.mapped.client_event_id is not None:
        return None
    ctx = e.ctx
    key = dedupe_key(ctx.event_type, e.profile_id, e.mapped)
    e.row.dedupe_key = key
    window = ctx.settings.duplicate_window_seconds
    first_id = await way.first_identical(e.conn, ctx, key, ctx.request.received_at, window)
    if first_id is None:
        return None
    reason = f"an identical event (event {first_id}) was received less than {window} seconds ago"
    e.trace.append({"step": "idempotency", "ok": False, "duplicateOf": first_id, "reason": reason})
    e.row.duplicate_of = first_id
    return await e.finish("duplicate", reason, first=await first_outcome(e.conn, first_id))


async def _schema_step(e: _Event) -> dict[str, Any] | None:
    """Rejected when it does not fit its event type (dates and JSON Schema)."""
    assert e.mapped is not None
    ctx = e.ctx
    errors = event_type_errors(ctx, e.mapped)
    if errors:
        e.trace.append({"step": "schema", "ok": False, "eventType": ctx.event_type, "errors": errors})
        return await e.finish(
            "rejected", f"does not match event type {ctx.event_type}: " + "; ".join(errors), errors=errors
        )
    if ctx.schema is not None:
        e.trace.append({"step": "schema", "ok": True, "eventType": ctx.event_type})
    return None


async def _place_step(e: _Event, way: LiveWay) -> None:
    """Its place among the member's events of its type, for the `nth_event` enhancer."""
    assert e.mapped is not None
    if not counts_nth(e.ctx.enhancers):
        return
    place = way.known_place()
    if place is None:
        place = await event_store.processed_count(e.conn, e.profile_id, e.ctx.event_type) + 1
    e.mapped, added = with_nth(e.mapped, place)
    e.row.mapped = e.mapped.to_json()
    e.trace.append({"step": "enhance", "ok": True, "member": True, **added})


async def _claim_step(e: _Event, way: LiveWay, event_id: int) -> dict[str, Any] | None:
    """Its clientEventId claimed for this event; a duplicate when another event holds it."""
    assert e.mapped is not None
    client_event_id = e.mapped.client_event_id
    if client_event_id is None:
        return None
    held = await way.held_by(e.conn, e.ctx, client_event_id)
    if held is not None:
        step = {"step": "idempotency", "ok": True, "clientEventId": client_event_id, "heldBy": held}
        e.trace.append(step)  # held by an earlier row of this same event: not a duplicate
        return None
    first_id = await event_store.claim_client_event_id(
        e.conn, e.ctx.snapshot.id, client_event_id, event_id, test=e.ctx.test
    )
    if first_id is None:
        e.trace.append({"step": "idempotency", "ok": True, "clientEventId": client_event_id})
        return None
    reason = f"clientEventId {client_event_id!r} was already received (event {first_id})"
    e.trace.append({"step": "idempotency", "ok": False, "duplicateOf": first_id, "reason": reason})
    await event_store.update_event(
        e.conn, event_id, status="duplicate", duplicate_of=first_id, reason=reason, trace=e.trace
    )
    first = await first_outcome(e.conn, first_id)
    e.result.update(status="duplicate", eventId=event_id, reason=reason, first=first)
    return e.result


async def _reversal_step(e: _Event, way: LiveWay, state: BatchState, event_id: int) -> dict[str, Any] | None:
    """A refund (`reverses`) takes back the points of the event it names, once."""
    assert e.mapped is not None
    reverses = e.mapped.reverses
    if reverses is None:
        return None
    already = way.reversed_by()
    if already is not None:
        e.trace.append({"step": "reversal", "ok": True, "alreadyReversedBy": already})
        return None
    state.balances.clear()  # a refund moves other members' balances too
    reversal = await reverse_awards(
        e.conn,
        connector_id=e.ctx.snapshot.id,
        client_event_id=reverses.client_event_id,
        fraction=reverses.fraction,
        event_id=event_id,
        test=e.ctx.test,
        occurred_at=e.row.occurred_at,
        now=e.ctx.request.received_at,
    )
    e.trace.append(reversal)
    return reversal


async def _award_step(
    e: _Event, way: LiveWay, state: BatchState, event_id: int, reversal: dict[str, Any] | None
) -> dict[str, Any]:
    """The earning rules, the ledger and the rules' reactions; the event's final trace."""
    assert e.mapped is not None
    conn, ctx, row, result = e.conn, e.ctx, e.row, e.result
    row.id = event_id
    outcome = await way.award(conn, ctx, e.mapped, row, e.profile_id, state)
    subscribed = await webhook_store.subscriptions(conn)  # who listens: for reactions and messages
    anew = way.new_awards(outcome.awards, e.profile_id)
    await _react(conn, ctx, anew, e.profile_id, result, event_id, e.mapped, subscribed)
    e.trace.append(outcome.rules_step)
    e.trace.append({"step": "ledger", "awards": outcome.awards, "balance": outcome.balance})
    await event_store.update_event(conn, event_id, trace=e.trace)
    result.update(
        status="processed", eventId=event_id, reason=None, awards=outcome.awards, balance=outcome.balance
    )
    if reversal is not None:
        result["reversal"] = {k: v for k, v in reversal.items() if k != "step"}
    await enqueue_for_event(conn, row, result, subscribed, at=ctx.request.received_at)
    return result


async def _react(
    conn: Connection,
    ctx: RunContext,
    awards: list[dict[str, Any]],
    profile_id: int,
    result: dict[str, Any],
    event_id: int,
    mapped: MappedEvent,
    subscribed: frozenset[tuple[str, bool]],
) -> None:
    """The reactions of the rules that awarded (pipeline/reactions.py), on this connection."""
    by_rule = {(r.id, r.version): r.definition.reactions for r in ctx.rules}
    names = {r.id: r.definition.name for r in ctx.rules}
    for answer in awards:
        answer.setdefault("name", names.get(answer["ruleId"]))
    profile = result.get("profile") or {}
    who = {"kind": profile.get("kind"), "value": profile.get("value")} if profile else None
    depth = depth_of(ctx.event_type, {c.name: c.value for c in mapped.counters})
    reacting = [
        Reacting(
            answer,
            reactions,
            profile_id,
            who,
            event_id,
            ctx.event_type,
            depth,
            ctx.test,
            ctx.request.received_at,
        )
        for answer in awards
        if (reactions := by_rule.get((answer["ruleId"], answer["ruleVersion"])))
    ]
    if reacting:
        await react(ConnTransaction(conn), reacting, set(subscribed), ctx.settings.tz)
