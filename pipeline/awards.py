"""Earning rules meet the ledger: feed the pure evaluation the limit usage, then write its awards."""

from __future__ import annotations

import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from earning_rules import (
    Evaluation,
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

_parsed: dict[tuple[str, int], Rule] = {}


def rule_from_row(row: dict[str, Any]) -> Rule:
    """Parse a stored rule once per version (versions never change once written)."""
    key = (row["id"], row["version"])
    rule = _parsed.get(key)
    if rule is None:
        rule = Rule(id=row["id"], version=row["version"], definition=parse_rule(row["definition"]))
        _parsed[key] = rule
    return rule


async def load_rules(conn: AsyncConnection, statuses: frozenset[str]) -> list[Rule]:
    return [rule_from_row(row) for row in await rule_store.list_rules(conn, statuses)]


@dataclass(frozen=True)
class AwardOutcome:
    awards: list[dict[str, Any]]
    trace: list[dict[str, Any]]
    balance: int


async def _lock_rule(conn: AsyncConnection, rule_id: str) -> None:
    """Serialise events that count against one whole-rule limit (PostgreSQL; SQLite has one writer)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(rule_id.encode())})


async def evaluate_event(
    conn: AsyncConnection,
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
) -> Evaluation:
    """What the rules give this event now, its limits counted from the ledger (minus `exclude_event_ids`)."""
    rule_event = RuleEvent(
        connector_id=connector_id,
        event_type=event_type,
        timestamp=occurred_at,
        tags=[(t.name, t.value) for t in mapped.tags],
        counters=[(c.name, c.value) for c in mapped.counters],
    )
    usage: dict[tuple[str, str], Usage] = {}
    # Only rules that could award this event need their limits counted (one query per window).
    candidates = rules_needing_usage(rules, rule_event, include_statuses=statuses)
    windows = [w for rule in candidates for w in limit_windows(rule, occurred_at, tz)]
    for rule_id in sorted({w.rule_id for w in windows if w.scope == "rule"}):
        await _lock_rule(conn, rule_id)
    for window in windows:
        times, points = await ledger.rule_usage(
            conn,
            rule_id=window.rule_id,
            profile_id=profile_id if window.scope == "profile" else None,
            start=window.start,
            end=window.end,
            test=test,
            exclude_event_ids=exclude_event_ids,
        )
        usage[(window.rule_id, window.key)] = Usage(times=times, points=points)
    return evaluate(rules, rule_event, usage, tz, include_statuses=statuses)


async def award_points(
    conn: AsyncConnection,
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
) -> AwardOutcome:
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
    )
    awards = []
    for award in evaluation.awards:
        entry_id = await ledger.add_entry(
            conn,
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
            },
        )
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
    balance, _lifetime = await ledger.balance_of(conn, profile_id, test=test)
    return AwardOutcome(awards=awards, trace=list(evaluation.trace), balance=balance)
