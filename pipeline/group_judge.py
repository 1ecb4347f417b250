"""One event of a group, judged against the group's state in arrival order (pipeline/group_steps.py).

Duplicates (identical within the window, or a clientEventId already claimed, in the database or
earlier in the group), the schema check, then the earning rules with the limit usage the group
read and the awards of its earlier events; the event's awards, balance and trace are settled
here and the state is updated for the events after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from earning_rules import Usage, evaluate
from pipeline.awards import rule_event_of
from pipeline.group_plan import Job, PlannedEvent
from storage import group_state as sql


def judge(
    job: Job,
    planned: PlannedEvent,
    profiles: dict[int, int],
    claimed: dict[tuple[str, bool, str], int],
    identical: dict[tuple[str, bool, str], list[tuple[int, datetime]]],
    balances: dict[tuple[int, bool], int],
    counts: dict[sql.Window, list[int]],
    by_rule: dict[tuple[str, bool], list[sql.Window]],
    awards: list[dict[str, Any]],
    moves: dict[tuple[int, bool], tuple[int, int]],
    claims: list[tuple[str, bool, str, int]],
) -> None:
    """One event, in arrival order, against the group's state (which it then updates)."""
    if not planned.pending:
        return  # ignored while resolving profiles
    ctx, row, trace, mapped = job.ctx, planned.row, planned.trace, planned.mapped
    assert mapped is not None
    pid = profiles[id(planned)]
    connector_id, test, now = ctx.snapshot.id, ctx.test, ctx.request.received_at
    windows = planned.windows or []
    cid = mapped.client_event_id
    if cid is None and (key := row.get("dedupe_key")) is not None:
        window = ctx.settings.duplicate_window_seconds
        start = now - timedelta(seconds=window)
        first_id = next((i for i, at in identical.get((connector_id, test, key), []) if at >= start), None)
        if window > 0 and first_id is not None:
            reason = f"an identical event (event {first_id}) was received less than {window} seconds ago"
            trace.append({"step": "idempotency", "ok": False, "duplicateOf": first_id, "reason": reason})
            row["duplicate_of"] = planned.first_id = first_id
            planned.finish("duplicate", reason)
            return
    if ctx.schema is not None:
        if planned.schema_errors:
            errors = planned.schema_errors
            trace.append({"step": "schema", "ok": False, "eventType": ctx.event_type, "errors": errors})
            reason = f"does not match event type {ctx.event_type}: " + "; ".join(errors)
            planned.finish("rejected", reason, errors=errors)
            return
        trace.append({"step": "schema", "ok": True, "eventType": ctx.event_type})
    event_id = row["id"]
    if cid is not None:
        first_id = claimed.get((connector_id, test, cid))
        if first_id is not None:
            reason = f"clientEventId {cid!r} was already received (event {first_id})"
            trace.append({"step": "idempotency", "ok": False, "duplicateOf": first_id, "reason": reason})
            row["duplicate_of"] = planned.first_id = first_id
            planned.finish("duplicate", reason)
            return
        claimed[(connector_id, test, cid)] = event_id
        claims.append((connector_id, test, cid, event_id))
        trace.append({"step": "idempotency", "ok": True, "clientEventId": cid})
    elif row.get("dedupe_key") is not None:
        identical.setdefault((connector_id, test, row["dedupe_key"]), []).append((event_id, now))

    at = row["occurred_at"]
    rule_event = rule_event_of(mapped, connector_id=connector_id, event_type=ctx.event_type, occurred_at=at)
    usage = {(w.rule_id, key): Usage(*counts[w]) for key, w in windows}
    evaluation = evaluate(ctx.rules, rule_event, usage, ctx.settings.tz, include_statuses=ctx.rule_statuses)
    answers = []
    for award in evaluation.awards:
        answer = {
            "ruleId": award.rule_id,
            "ruleVersion": award.rule_version,
            "name": award.rule_name,
            "points": award.points,
            "entryId": None,  # allocated once the group's awards are known
        }
        answers.append(answer)
        awards.append(
            {
                "answer": answer,
                "profile_id": pid,
                "points": int(award.points),
                "rule_id": award.rule_id,
                "rule_version": award.rule_version,
                "event_id": event_id,
                "connector_id": connector_id,
                "test": test,
                "occurred_at": at,
                "created_at": now,
            }
        )
        for w in by_rule.get((award.rule_id, test), ()):  # later events of the group see this award
            within = (w.start is None or w.start <= at) and (w.end is None or at < w.end)
            if within and w.profile_id in (None, pid):
                count = counts[w]
                count[0] += 1
                count[1] += int(award.points)
    total = sum(int(a.points) for a in evaluation.awards)
    gained = sum(max(int(a.points), 0) for a in evaluation.awards)
    balance = balances[(pid, test)] = balances.get((pid, test), 0) + total
    if answers:
        moved = moves.get((pid, test), (0, 0))
        moves[(pid, test)] = (moved[0] + total, moved[1] + gained)
    trace.append({"step": "rules", "rules": list(evaluation.trace)})
    trace.append({"step": "ledger", "awards": answers, "balance": balance})
    planned.finish("processed", None, awards=answers, balance=balance)
