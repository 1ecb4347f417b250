"""Earning rules meet the ledger: feed the pure evaluation the limit usage, then write its awards."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from earning_rules import (
    Evaluation,
    LimitWindow,
    Rule,
    RuleEvent,
    Usage,
    evaluate,
    limit_windows,
    parse_rule,
    rules_needing_usage,
)
from mapping import MappedEvent
from storage import ledger
from storage import rules as rule_store
from storage.database import Connection
from storage.locks import lock_rules

_parsed: dict[tuple[str, int], Rule] = {}


def rule_from_row(row: dict[str, Any]) -> Rule:
    """Parse a stored rule once per version (versions never change once written)."""
    key = (row["id"], row["version"])
    rule = _parsed.get(key)
    if rule is None:
        rule = Rule(id=row["id"], version=row["version"], definition=parse_rule(row["definition"]))
        _parsed[key] = rule
    return rule


async def load_rules(conn: Connection, statuses: frozenset[str]) -> list[Rule]:
    return [rule_from_row(row) for row in await rule_store.list_rules(conn, statuses)]


@dataclass(frozen=True)
class AwardOutcome:
    awards: list[dict[str, Any]]
    trace: list[dict[str, Any]]
    balance: int
    rules_step: dict[str, Any]  # the trace's `rules` step: the rules that listen, and a count of the others


def rule_event_of(
    mapped: MappedEvent, *, connector_id: str, event_type: str, occurred_at: datetime
) -> RuleEvent:
    return RuleEvent(
        connector_id=connector_id,
        event_type=event_type,
        timestamp=occurred_at,
        tags=[(t.name, t.value) for t in mapped.tags],
        counters=[(c.name, c.value) for c in mapped.counters],
    )


def windows_to_count(
    rules: Sequence[Rule], statuses: frozenset[str], rule_event: RuleEvent, tz: Any
) -> list[LimitWindow]:
    """Only rules that could award this event need their limits counted."""
    candidates = rules_needing_usage(rules, rule_event, include_statuses=statuses)
    return [w for rule in candidates for w in limit_windows(rule, rule_event.timestamp, tz)]


async def evaluate_event(
    conn: Connection,
    *,
    rules: Sequence[Rule],
    statuses: frozenset[str],
    mapped: MappedEvent,
    event_type: str,
    connector_id: str,
    profile_id: int,
    occurred_at: datetime,
    test: bool,
    tz: Any,
    exclude_event_ids: Collection[int] = (),
    held_rule_locks: set[str] | None = None,
) -> Evaluation:
    """What the rules give this event now, its limits counted from the ledger (minus `exclude_event_ids`).

    All of its limit windows are counted in one statement. `held_rule_locks` names the whole-rule
    locks this transaction already holds (a batch takes them up front, in order).
    """
    rule_event = rule_event_of(
        mapped, connector_id=connector_id, event_type=event_type, occurred_at=occurred_at
    )
    windows = windows_to_count(rules, statuses, rule_event, tz)
    held = held_rule_locks if held_rule_locks is not None else set()
    await lock_rules(conn, {w.rule_id for w in windows if w.scope == "rule"}, held)
    counted = await ledger.rule_usages(
        conn,
        [(w.rule_id, w.scope, w.start, w.end) for w in windows],
        profile_id=profile_id,
        test=test,
        exclude_event_ids=exclude_event_ids,
    )
    usage = {
        (w.rule_id, w.key): Usage(times=times, points=points)
        for w, (times, points) in zip(windows, counted, strict=True)
    }
    return evaluate(rules, rule_event, usage, tz, include_statuses=statuses)


async def award_points(
    conn: Connection,
    *,
    rules: Sequence[Rule],
    statuses: frozenset[str],
    mapped: MappedEvent,
    event_type: str,
    connector_id: str,
    profile_id: int,
    event_id: int,
    occurred_at: datetime,
    now: datetime,
    test: bool,
    tz: Any,
    held_rule_locks: set[str] | None = None,
    balances: dict[tuple[int, bool], int] | None = None,
) -> AwardOutcome:
    """Write the evaluation's awards; the balance comes from the last balance upsert's RETURNING,
    or from `balances` (what this transaction last saw, under the profile's lock) when none."""
    evaluation = await evaluate_event(
        conn,
        rules=rules,
        statuses=statuses,
        mapped=mapped,
        event_type=event_type,
        connector_id=connector_id,
        profile_id=profile_id,
        occurred_at=occurred_at,
        test=test,
        tz=tz,
        held_rule_locks=held_rule_locks,
    )
    seen = balances if balances is not None else {}
    rows = [
        {
            "profile_id": profile_id,
            "points": award.points,
            "kind": "award",
            "rule_id": award.rule_id,
            "rule_version": award.rule_version,
            "event_id": event_id,
            "connector_id": connector_id,
            "test": test,
            "occurred_at": occurred_at,
            "created_at": now,
        }
        for award in evaluation.awards
    ]
    awards = []
    if rows:
        # One insert for all of the event's awards, one balance move by what went in.
        entry_ids, after = await ledger.add_awards(conn, rows)
        if after is not None:
            seen[(profile_id, test)] = after
        for award, entry_id in zip(evaluation.awards, entry_ids, strict=True):
            if entry_id is not None:
                awards.append(
                    {
                        "ruleId": award.rule_id,
                        "ruleVersion": award.rule_version,
                        "name": award.rule_name,
                        "points": award.points,
                        "entryId": entry_id,
                    }
                )
    balance = seen.get((profile_id, test))
    if balance is None:
        balance, _lifetime = await ledger.balance_of(conn, profile_id, test=test)
        seen[(profile_id, test)] = balance
    return AwardOutcome(
        awards=awards, trace=list(evaluation.trace), balance=balance, rules_step=evaluation.trace_step()
    )
