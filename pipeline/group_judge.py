"""One event of a group, judged against the group's state in arrival order (pipeline/group_steps.py).

Duplicates (identical within the window, or a clientEventId already claimed, in the database or
earlier in the group), the schema check, then the earning rules with the limit usage the group
read and the awards of its earlier events; the event's awards, balance and trace are settled
here and the state is updated for the events after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from earning_rules import Usage, evaluate
from pipeline.awards import rule_event_of
from pipeline.enhance import counts_nth, with_nth
from pipeline.group_plan import Job, PlannedEvent
from pipeline.reactions import Reacting, depth_of
from storage import group_state as sql
from storage.group_writes import AwardRow


@dataclass
class GroupState:
    """What the group read, as its events change it in arrival order, and what it will write."""

    profiles: dict[int, int]  # id(planned event) -> profile id
    claimed: dict[tuple[str, bool, str], int]  # (connector, test, clientEventId) -> first event id
    identical: dict[tuple[str, bool, str], list[tuple[int, datetime]]]  # dedupe key -> (event, at)
    balances: dict[tuple[int, bool], int]
    counts: dict[sql.Window, list[int]]  # limit window -> [times, points]
    entry_ids: Iterator[int]  # allocated up front: at most one award per rule and event
    # (rule, test, member or None for the whole rule) -> its windows
    by_rule: dict[tuple[str, bool, int | None], list[sql.Window]] = field(default_factory=dict)
    awards: list[AwardRow] = field(default_factory=list)
    moves: dict[tuple[int, bool], tuple[int, int]] = field(default_factory=dict)
    nth: dict[tuple[int, str], int] = field(default_factory=dict)  # (member, type) -> processed so far
    claims: list[tuple[str, bool, str, int]] = field(default_factory=list)
    reacting: list[Reacting] = field(default_factory=list)  # awards whose rules react (pipeline/reactions)

    def __post_init__(self) -> None:
        for w in self.counts:  # an award updates its rule's windows, of its member or the whole rule
            self.by_rule.setdefault((w.rule_id, w.test, w.profile_id), []).append(w)


def judge(job: Job, planned: PlannedEvent, state: GroupState) -> None:
    """One event, in arrival order, against the group's state (which it then updates)."""
    if not planned.pending:
        return  # ignored while resolving profiles
    ctx, row, trace, mapped, rule_event = (
        job.ctx,
        planned.row,
        planned.trace,
        planned.mapped,
        planned.rule_event,
    )
    assert mapped is not None and rule_event is not None
    pid = state.profiles[id(planned)]
    connector_id, test, now = ctx.snapshot.id, ctx.test, ctx.request.received_at
    cid = mapped.client_event_id
    if cid is None and (key := row.dedupe_key) is not None:
        window = ctx.settings.duplicate_window_seconds
        start = now - timedelta(seconds=window)
        seen = state.identical.get((connector_id, test, key), [])
        first_id = next((i for i, at in seen if at >= start), None)
        if window > 0 and first_id is not None:
            reason = f"an identical event (event {first_id}) was received less than {window} seconds ago"
            trace.append({"step": "idempotency", "ok": False, "duplicateOf": first_id, "reason": reason})
            row.duplicate_of = planned.first_id = first_id
            planned.finish("duplicate", reason)
            return
    if planned.schema_errors:  # its date bounds and JSON Schema (pipeline.process.event_type_errors)
        errors = planned.schema_errors
        trace.append({"step": "schema", "ok": False, "eventType": ctx.event_type, "errors": errors})
        reason = f"does not match event type {ctx.event_type}: " + "; ".join(errors)
        planned.finish("rejected", reason, errors=errors)
        return
    if ctx.schema is not None:
        trace.append({"step": "schema", "ok": True, "eventType": ctx.event_type})
    event_id = row.written_id
    if cid is not None:
        first_id = state.claimed.get((connector_id, test, cid))
        if first_id is not None:
            reason = f"clientEventId {cid!r} was already received (event {first_id})"
            trace.append({"step": "idempotency", "ok": False, "duplicateOf": first_id, "reason": reason})
            row.duplicate_of = planned.first_id = first_id
            planned.finish("duplicate", reason)
            return
        state.claimed[(connector_id, test, cid)] = event_id
        state.claims.append((connector_id, test, cid, event_id))
        trace.append({"step": "idempotency", "ok": True, "clientEventId": cid})
    elif row.dedupe_key is not None:
        state.identical.setdefault((connector_id, test, row.dedupe_key), []).append((event_id, now))

    if counts_nth(ctx.enhancers):  # from here on the event is processed: it takes its place
        place = state.nth[(pid, ctx.event_type)] = state.nth.get((pid, ctx.event_type), 0) + 1
        mapped, added = with_nth(mapped, place)
        planned.mapped = mapped
        row.mapped = mapped.to_json()
        rule_event = planned.rule_event = rule_event_of(
            mapped, connector_id=connector_id, event_type=ctx.event_type, occurred_at=row.occurred_at
        )
        trace.append({"step": "enhance", "ok": True, "member": True, **added})
    at = row.occurred_at
    usage = {(w.rule_id, key): Usage(*state.counts[w]) for key, w in planned.windows or []}
    evaluation = evaluate(ctx.rules, rule_event, usage, ctx.settings.tz, include_statuses=ctx.rule_statuses)
    answers = []
    for award in evaluation.awards:
        entry_id = next(state.entry_ids)
        answer = {
            "ruleId": award.rule_id,
            "ruleVersion": award.rule_version,
            "name": award.rule_name,
            "points": award.points,
            "entryId": entry_id,
        }
        answers.append(answer)
        if award.reactions:
            state.reacting.append(
                Reacting(
                    answer,
                    award.reactions,
                    pid,
                    _who(planned),
                    event_id,
                    ctx.event_type,
                    depth_of(ctx.event_type, {c.name: c.value for c in mapped.counters}),
                    test,
                    now,
                )
            )
        state.awards.append(
            AwardRow(
                id=entry_id,
                profile_id=pid,
                points=int(award.points),
                rule_id=award.rule_id,
                rule_version=award.rule_version,
                event_id=event_id,
                connector_id=connector_id,
                test=test,
                occurred_at=at,
                created_at=now,
            )
        )
        windows = state.by_rule.get((award.rule_id, test, pid), []) + state.by_rule.get(
            (award.rule_id, test, None), []
        )
        for w in windows:  # later events of the group see it
            if (w.start is None or w.start <= at) and (w.end is None or at < w.end):
                count = state.counts[w]
                count[0] += 1
                count[1] += int(award.points)
    total = sum(int(a.points) for a in evaluation.awards)
    gained = sum(max(int(a.points), 0) for a in evaluation.awards)
    balance = state.balances[(pid, test)] = state.balances.get((pid, test), 0) + total
    if answers:
        moved = state.moves.get((pid, test), (0, 0))
        state.moves[(pid, test)] = (moved[0] + total, moved[1] + gained)
    trace.append(evaluation.trace_step())
    trace.append({"step": "ledger", "awards": answers, "balance": balance})
    planned.finish("processed", None, awards=answers, balance=balance)


def _who(planned: PlannedEvent) -> dict[str, Any] | None:
    profile = planned.result.get("profile") or {}
    return {"kind": profile.get("kind"), "value": profile.get("value")} if profile else None
