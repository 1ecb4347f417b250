"""One mapped event, one transaction: profile, idempotency, schema, earning rules, ledger, event row."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

import event_types
from earning_rules import Rule
from errors import MappingError
from mapping import MappedEvent
from pipeline import chain as chains
from pipeline.awards import AwardOutcome, award_points, evaluate_event
from pipeline.chain import Chain
from pipeline.context import ConnectorSnapshot, IngestRequest
from pipeline.reversal import lock_reversal_profiles, reverse_awards
from settings import Settings
from storage import events as event_store
from storage import ledger
from storage.ledger import entries
from storage.profiles import normalise_identity, resolve_profile
from storage.purge import lock_test_data
from storage.rules import versions_table as rule_versions_table


@dataclass(frozen=True)
class WorkItem:
    """A mapped event (or the failure to map one) with where it came from in the request."""

    index: int
    sub_index: int
    raw: Any
    mapped: MappedEvent | None
    error: MappingError | None
    chain: Chain | None = None  # set when replaying: the rows this event already has


@dataclass(frozen=True)
class RunContext:
    settings: Settings
    snapshot: ConnectorSnapshot
    request: IngestRequest
    test: bool
    event_type: str
    schema: dict[str, Any] | None
    rules: list[Rule]
    rule_statuses: frozenset[str]


def dedupe_key(event_type: str, profile_id: int, mapped: MappedEvent) -> str:
    text = json.dumps([event_type, profile_id, mapped.payload_json()], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _profile_json(
    kind: str, value: str, profile_id: int | None = None, created: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "value": value}
    if profile_id is not None:
        body.update(id=profile_id, created=created)
    return body


async def process_item(conn: AsyncConnection, ctx: RunContext, item: WorkItem) -> dict[str, Any]:
    now = ctx.request.received_at
    trace: list[dict[str, Any]] = []
    row: dict[str, Any] = {
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
    # Every key of a result, null while unknown (a failed mapping has no clientEventId or profile).
    result: dict[str, Any] = {
        "index": item.index,
        "subIndex": item.sub_index,
        "status": None,
        "eventId": None,
        "clientEventId": None,
        "profile": None,
        "reason": None,
    }
    chain = item.chain
    if chain is not None:
        row.update(chain.row_values())
        trace.append({"step": "replay", "replayOf": row["replay_of"], "at": now.isoformat()})
    if ctx.test:
        # First of all locks: a purge of this connector's test data waits for us, or we for it.
        await lock_test_data(conn, ctx.snapshot.id, exclusive=False)

    async def finish(status: str, reason: str | None = None, **extra: Any) -> dict[str, Any]:
        row.update(status=status, reason=reason)
        event_id = await event_store.insert_event(conn, row)
        result.update(status=status, eventId=event_id, reason=reason, **extra)
        return result

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

    if not mapped.profile_value or not mapped.profile_value.strip():
        reason = "no profile identifier: profile.value is missing or empty"
        trace.append({"step": "profile", "ok": False, "reason": reason})
        return await finish("ignored", reason, profile=None)
    kind, value = normalise_identity(mapped.profile_kind, mapped.profile_value)
    if mapped.reverses is not None:
        # A refund may touch another member's awards: lock both in id order, not ours first.
        await lock_reversal_profiles(
            conn,
            connector_id=ctx.snapshot.id,
            client_event_id=mapped.reverses.client_event_id,
            test=ctx.test,
            kind=kind,
            value=value,
        )
    profile = await resolve_profile(
        conn,
        kind,
        value,
        create=bool(ctx.snapshot.row["create_profiles"]),
        test=ctx.test,
        connector_id=ctx.snapshot.id,
        now=now,
    )
    if profile is None:
        reason = f"no profile {kind}:{value} and this connector does not create profiles"
        trace.append({"step": "profile", "ok": False, "reason": reason})
        return await finish("ignored", reason, profile=_profile_json(kind, value))
    row["profile_id"] = profile.id
    result["profile"] = _profile_json(kind, value, profile.id, profile.created)
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

    if ctx.schema is not None:
        errors = event_types.schema_errors(ctx.schema, mapped.payload_json())
        if errors:
            trace.append({"step": "schema", "ok": False, "eventType": ctx.event_type, "errors": errors})
            return await finish(
                "rejected", f"does not match event type {ctx.event_type}: " + "; ".join(errors), errors=errors
            )
        trace.append({"step": "schema", "ok": True, "eventType": ctx.event_type})

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
        outcome = await _replay_awards(conn, ctx, chain, mapped, {**row, "id": event_id}, profile.id)
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
        )
    trace.append({"step": "rules", "rules": outcome.trace})
    trace.append({"step": "ledger", "awards": outcome.awards, "balance": outcome.balance})
    await event_store.update_event(conn, event_id, trace=trace)
    result.update(
        status="processed", eventId=event_id, reason=None, awards=outcome.awards, balance=outcome.balance
    )
    if reversal is not None:
        result["reversal"] = {k: v for k, v in reversal.items() if k != "step"}
    return result


async def _replay_awards(
    conn: AsyncConnection,
    ctx: RunContext,
    chain: Chain,
    mapped: MappedEvent,
    row: dict[str, Any],
    profile_id: int,
) -> AwardOutcome:
    """Judge a replayed event by the rules as they are now, its own chain left out of its limits,
    and write only the difference to what the chain already earned."""
    evaluation = await evaluate_event(
        conn,
        rules=ctx.rules,
        statuses=ctx.rule_statuses,
        mapped=mapped,
        event_type=ctx.event_type,
        connector_id=ctx.snapshot.id,
        profile_id=profile_id,
        occurred_at=row["occurred_at"],
        test=ctx.test,
        tz=ctx.settings.tz,
        exclude_event_ids=chain.event_ids,
    )
    written = await chains.settle(
        conn,
        chain,
        chains.desired_of(evaluation, profile_id),
        event_id=row["id"],
        base_row=row,
        how=settlement(ctx, row["occurred_at"]),
    )
    balance, _lifetime = await ledger.balance_of(conn, profile_id, test=ctx.test)
    return AwardOutcome(awards=written, trace=list(evaluation.trace), balance=balance)


def settlement(ctx: RunContext, occurred_at: Any) -> chains.Settlement:
    return chains.Settlement(
        occurred_at=occurred_at,
        now=ctx.request.received_at,
        connector_id=ctx.snapshot.id,
        test=ctx.test,
        active_rule_ids=frozenset(rule.id for rule in ctx.rules),
    )


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
