"""Builders shared by the earning-rule tests (this module holds no tests)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from earning_rules import Evaluation, Rule, RuleEvent, Usage, evaluate, parse_rule

UTC_ZONE = ZoneInfo("UTC")
BRUSSELS = ZoneInfo("Europe/Brussels")
AT = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)

BIG_SPENDER: dict[str, Any] = {
    "name": "Big spender",
    "source": {"event_type": "ecommerce.purchase"},
    "priority": 10,
    "stop": True,
    "conditions": {
        "all": [
            {"counter": "amount", "op": "gte", "value": 100},
            {"any": [{"tag": "channel", "op": "eq", "value": "web"}, {"tag": "vip", "op": "exists"}]},
        ]
    },
    "reward": {
        "points_per_unit": {"counter": "amount", "per": 1.00, "points": 1, "rounding": "floor", "cap": 500}
    },
    "limits": [
        {"scope": "profile", "period": "day", "max_times": 1},
        {"scope": "profile", "rolling_hours": 24, "max_points": 500},
    ],
    "active_from": "2026-12-01T00:00:00Z",
    "active_until": "2026-12-31T23:59:59Z",
    "status": "active",
}


def make_rule(rule_id: str = "rule_a", *, version: int = 1, **fields: Any) -> Rule:
    body: dict[str, Any] = {"name": rule_id, "status": "active", "reward": {"fixed": 10}}
    body.update(fields)
    return Rule(rule_id, version, parse_rule(body))


def make_event(
    tags: Sequence[tuple[str, str]] = (),
    counters: Sequence[tuple[str, int | float]] = (),
    *,
    at: datetime = AT,
    connector_id: str = "con_shop",
    event_type: str = "ecommerce.purchase",
) -> RuleEvent:
    return RuleEvent(
        connector_id=connector_id, event_type=event_type, timestamp=at, tags=tags, counters=counters
    )


def run(
    rules: Sequence[Rule],
    event: RuleEvent,
    usage: Mapping[tuple[str, str], Usage] | None = None,
    tz: ZoneInfo = UTC_ZONE,
    **kwargs: Any,
) -> Evaluation:
    evaluation = evaluate(rules, event, usage or {}, tz, **kwargs)
    json.dumps(evaluation.trace)  # the trace is stored as JSON: it must always serialise
    return evaluation


def entry(evaluation: Evaluation, rule_id: str) -> dict[str, Any]:
    return next(e for e in evaluation.trace if e["ruleId"] == rule_id)


def points_by_rule(evaluation: Evaluation) -> dict[str, int]:
    return {a.rule_id: a.points for a in evaluation.awards}
