"""One mapped event through the pipeline: profile, idempotency, schema, earning rules, ledger, event row.

It runs inside a transaction (and, in a batch, a savepoint) that the caller owns; the locks it
needs were taken up front by `pipeline.batch.prepare`, which also resolved its profile.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

import event_types
from errors import MappingError, SkippedByMapping
from mapping import MappedEvent
from mapping.identity import normalise_identity
from pipeline import chain as chains
from pipeline.awards import award_points
from pipeline.batch_state import BatchState, prepare
from pipeline.context import RunContext, WorkItem
from pipeline.enhance import counts_nth, earlier_nth, member_facts, reads_attributes, with_nth
from pipeline.outbox import enqueue_for_event
from pipeline.outcomes import first_outcome
from pipeline.reactions import Reacting, depth_of, react
from pipeline.replay_awards import replay_awards
from pipeline.reversal import reverse_awards
from storage import events as event_store
from storage import webhooks as webhook_store
from storage.driver import ConnTransaction
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


def base_row(ctx: RunContext, item: WorkItem, trace: list[dict[str, Any]]) -> dict[str, Any]:
    """The event row as far as the request alone says: where it came from, when, in which data."""
    now = ctx.request.received_at
    return {
        "request_id": ctx.request.request_id,
        "connector_id": ctx.snapshot.id,
        "index": item.index,
        "sub_index": item.sub_index,
        "raw": item.raw,
        "mapping_version": ctx.snapshot.row["mapping_version"],
        "test": ctx.test,
        "received_at": now,
        "occurred_at": now,
        "event_type": ctx.event_type,
        "trace": trace,
    }


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


async def process_item(
    conn: AsyncConnection, ctx: RunContext, item: WorkItem, state: BatchState | None = None
) -> dict[str, Any]:
    """Process one event. `state` is what `prepare` set up for the batch it belongs to; alone
    (a replay), it is prepared here for this one event."""
    if state is None:
        state = await prepare(conn, ctx, [item])
    now = ctx.request.received_at
    trace: list[dict[str, Any]] = []
    row = base_row(ctx, item, trace)
    result = base_result(item)
    chain = item.chain
    if chain is not None:
        row.update(chain.row_values())
        trace.append({"step": "replay", "replayOf": row["replay_of"], "at": now.isoformat()})

    async def finish(status: str, reason: str | None = None, **extra: Any) -> dict[str, Any]:
        row.update(status=status, reason=reason)
        event_id = await event_store.insert_event(conn, row)
        result.update(status=status, eventId=event_id, reason=reason, **extra)
        return result

    if isinstance(item.error, SkippedByMapping):
        trace.append({"step": "map", "ok": True, "mappingVersion": row["mapping_version"], "skipped": True})
        return await finish("skipped", item.error.message)
    if item.error is not None or item.mapped is None:
        error = item.error or MappingError("the mapping returned nothing for this event")
        trace.append({"step": "map", "ok": False, "error": error.to_json()["error"]})
        return await finish("failed", error.message, error=error.to_json()["error"])
    mapped = item.mapped
    row["mapped"] = mapped.to_json()
    row["client_event_id"] = mapped.client_event_id
    result["clientEventId"] = mapped.client_event_id
    if mapped.timestamp is not None:
        row["occurred_at"] = mapped.timestamp
    trace.append({"step": "map", "ok": True, "mappingVersion": row["mapping_version"]})
    if item.enhanced:
        trace.append({"step": "enhance", "ok": True, **item.enhanced})

    if not mapped.profile_value or not mapped.profile_value.strip():
        reason = "no profile identifier: profile.value is missing or empty"
        trace.append({"step": "profile", "ok": False, "reason": reason})
        return await finish("ignored", reason, profile=None)
    kind, value = normalise_identity(mapped.profile_kind, mapped.profile_value)
    # Found, created and locked up front by `prepare` (a refund's other members with it).
    profile = state.profile(kind, value)
    if profile is None:
        reason = parked_reason(kind, value)
        trace.append({"step": "profile", "ok": False, "reason": reason})
        return await finish("parked", reason, profile=profile_json(kind, value))
    row["profile_id"] = profile.id
    result["profile"] = profile_json(kind, value, profile.id, profile.created)
    trace.append(
        {
            "step": "profile",
            "ok": True,
            "profileId": profile.id,
            "created": profile.created,
            "kind": kind,
            "value": value,
        }
    )
    if reads_attributes(ctx.enhancers):  # before duplicates and limits see it, as the group writer
        mapped, added = member_facts(mapped, ctx.member_enhancers, await attributes_of(conn, profile.id))
        row["mapped"] = mapped.to_json()
        trace.append({"step": "enhance", "ok": True, "member": True, **added})

    if mapped.client_event_id is None:
        key = dedupe_key(ctx.event_type, profile.id, mapped)
        row["dedupe_key"] = key
        window = ctx.settings.duplicate_window_seconds
        if chain is None:
            first_id = await event_store.recent_identical(
                conn, ctx.snapshot.id, key, now, window, test=ctx.test
            )
        else:
            first_id = await chains.identical_outside(conn, chain, ctx.snapshot.id, key, window)
        if first_id is not None:
            reason = f"an identical event (event {first_id}) was received less than {window} seconds ago"
            trace.append({"step": "idempotency", "ok": False, "duplicateOf": first_id, "reason": reason})
            row["duplicate_of"] = first_id
            return await finish("duplicate", reason, first=await first_outcome(conn, first_id))

    errors = event_type_errors(ctx, mapped)
    if errors:
        trace.append({"step": "schema", "ok": False, "eventType": ctx.event_type, "errors": errors})
        return await finish(
            "rejected", f"does not match event type {ctx.event_type}: " + "; ".join(errors), errors=errors
        )
    if ctx.schema is not None:
        trace.append({"step": "schema", "ok": True, "eventType": ctx.event_type})

    if counts_nth(ctx.enhancers):  # its place among the member's events of this type (a replay keeps its own)
        place = earlier_nth(chain.original.get("mapped")) if chain is not None else None
        if place is None:
            place = await event_store.processed_count(conn, profile.id, ctx.event_type) + 1
        mapped, added = with_nth(mapped, place)
        row["mapped"] = mapped.to_json()
        trace.append({"step": "enhance", "ok": True, "member": True, **added})

    # Insert first so the idempotency key and the ledger entries can point at this event.
    row["status"] = "processed"
    event_id = await event_store.insert_event(conn, row)
    held = None
    if chain is not None and mapped.client_event_id is not None:
        held = await chains.claimed_by_chain(conn, chain, ctx.snapshot.id, mapped.client_event_id)
    if mapped.client_event_id is not None and held is None:
        first_id = await event_store.claim_client_event_id(
            conn, ctx.snapshot.id, mapped.client_event_id, event_id, test=ctx.test
        )
        if first_id is not None:
            reason = f"clientEventId {mapped.client_event_id!r} was already received (event {first_id})"
            trace.append({"step": "idempotency", "ok": False, "duplicateOf": first_id, "reason": reason})
            await event_store.update_event(
                conn, event_id, status="duplicate", duplicate_of=first_id, reason=reason, trace=trace
            )
            first = await first_outcome(conn, first_id)
            result.update(status="duplicate", eventId=event_id, reason=reason, first=first)
            return result
        trace.append({"step": "idempotency", "ok": True, "clientEventId": mapped.client_event_id})
    elif held is not None:
        step = {"step": "idempotency", "ok": True, "clientEventId": mapped.client_event_id, "heldBy": held}
        trace.append(step)  # held by an earlier row of this same event: not a duplicate

    reversal = None
    if mapped.reverses is not None and chain is not None and chain.reversed_by is not None:
        # A refund reverses once: its chain already did, so the replay leaves it alone.
        trace.append({"step": "reversal", "ok": True, "alreadyReversedBy": chain.reversed_by})
    elif mapped.reverses is not None:
        state.balances.clear()  # a refund moves other members' balances too
        reversal = await reverse_awards(
            conn,
            connector_id=ctx.snapshot.id,
            client_event_id=mapped.reverses.client_event_id,
            fraction=mapped.reverses.fraction,
            event_id=event_id,
            test=ctx.test,
            occurred_at=row["occurred_at"],
            now=now,
        )
        trace.append(reversal)
    if chain is not None:
        outcome = await replay_awards(
            conn, ctx, chain, mapped, {**row, "id": event_id}, profile.id, state.rule_locks
        )
        state.balances.clear()
    else:
        outcome = await award_points(
            conn,
            rules=ctx.rules,
            statuses=ctx.rule_statuses,
            mapped=mapped,
            event_type=ctx.event_type,
            connector_id=ctx.snapshot.id,
            profile_id=profile.id,
            event_id=event_id,
            occurred_at=row["occurred_at"],
            now=now,
            test=ctx.test,
            tz=ctx.settings.tz,
            held_rule_locks=state.rule_locks,
            balances=state.balances,
        )
    # A replay reacts only for the awards it makes anew (not for corrections of earlier ones).
    anew = outcome.awards
    if chain is not None:
        anew = [a for a in outcome.awards if a.get("before") == 0 and a.get("profileId") == profile.id]
    subscribed = await webhook_store.subscriptions(conn)  # who listens: for reactions and messages
    await _react(conn, ctx, anew, profile.id, result, event_id, mapped, subscribed)
    trace.append(outcome.rules_step)
    trace.append({"step": "ledger", "awards": outcome.awards, "balance": outcome.balance})
    await event_store.update_event(conn, event_id, trace=trace)
    result.update(
        status="processed", eventId=event_id, reason=None, awards=outcome.awards, balance=outcome.balance
    )
    if reversal is not None:
        result["reversal"] = {k: v for k, v in reversal.items() if k != "step"}
    await enqueue_for_event(conn, row, result, subscribed, at=now)
    return result


async def _react(
    conn: AsyncConnection,
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
