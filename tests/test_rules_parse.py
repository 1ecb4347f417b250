"""parse_rule: every error names the field path and the bad value."""

from __future__ import annotations

from typing import Any

import pytest

from earning_rules import parse_rule
from errors import InvalidRule
from tests.test_rules_support import BIG_SPENDER


def with_(**changes: Any) -> dict[str, Any]:
    return {**BIG_SPENDER, **changes}


def condition(cond: dict[str, Any]) -> dict[str, Any]:
    return with_(conditions={"all": [{"tag": "vip", "op": "exists"}, cond]})


def limit(**fields: Any) -> dict[str, Any]:
    return with_(limits=[fields])


def per_unit(**fields: Any) -> dict[str, Any]:
    return with_(reward={"points_per_unit": {"counter": "amount", **fields}})


COUNTER_OPS = "eq, ne, gt, gte, lt, lte, between, exists, missing"
TAG_OPS = "eq, ne, in, not_in, contains, starts_with, regex, exists, missing"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            condition({"counter": "amount", "op": "greater", "value": 1}),
            f'conditions.all[1].op: "greater" is not one of {COUNTER_OPS}',
        ),
        (
            condition({"tag": "channel", "op": "gte", "value": "web"}),
            f'conditions.all[1].op: "gte" is not one of {TAG_OPS}',
        ),
        (
            condition({"tag": "channel", "value": "web"}),
            f"conditions.all[1].op: null is not one of {TAG_OPS}",
        ),
        (
            condition({"tag": "channel", "op": "eq", "value": 5}),
            "conditions.all[1].value: 5 must be a string",
        ),
        (condition({"tag": "channel", "op": "eq"}), "conditions.all[1].value: is required with eq"),
        (
            condition({"tag": "vip", "op": "exists", "value": "1"}),
            "conditions.all[1].value: exists takes no value",
        ),
        (
            condition({"tag": "channel", "op": "in", "value": "web"}),
            'conditions.all[1].value: "web" must be a non-empty list of strings',
        ),
        (
            condition({"tag": "channel", "op": "in", "value": ["web", 7]}),
            "conditions.all[1].value[1]: 7 must be a string",
        ),
        (
            condition({"tag": "channel", "op": "contains", "value": ""}),
            'conditions.all[1].value: "" must not be empty',
        ),
        (
            condition({"tag": "email", "op": "regex", "value": "(corp"}),
            'conditions.all[1].value: "(corp" is not a valid regular expression:'
            " missing ), unterminated subpattern at position 0",
        ),
        (
            condition({"counter": "amount", "op": "gte", "value": "100"}),
            'conditions.all[1].value: "100" must be a number',
        ),
        (
            condition({"counter": "amount", "op": "between", "value": [50, 20]}),
            "conditions.all[1].value: [50, 20]: the low end must not be above the high end",
        ),
        (
            condition({"counter": "amount", "op": "between", "value": 20}),
            "conditions.all[1].value: 20 must be a list of two numbers [low, high]",
        ),
        (
            condition({"counter": "amount", "op": "gte", "value": 1, "unit": "EUR"}),
            "conditions.all[1].unit: unknown field; expected one of counter, op, value",
        ),
        (
            condition({"tag": "a", "counter": "b", "op": "exists"}),
            "conditions.all[1]: needs exactly one of tag, counter, all, any (found tag, counter)",
        ),
        (
            condition({"op": "exists"}),
            "conditions.all[1]: needs exactly one of tag, counter, all, any (found none)",
        ),
        (
            condition({"any": [{"all": [{"tag": "vip", "op": "exists"}]}]}),
            "conditions.all[1].any[0]: groups nest only one level (all of: x, any of: y z);"
            " move this group up",
        ),
        (
            with_(conditions={"all": []}),
            "conditions.all: must hold at least one condition (leave conditions out to match every event)",
        ),
        (
            with_(conditions=[{"tag": "vip", "op": "exists"}]),
            'conditions: [{"tag": "vip", "op": "exists"}] must be '
            "an object with one of tag, counter, all, any",
        ),
        (per_unit(per=0), "reward.points_per_unit.per: 0 must be greater than 0"),
        (per_unit(per=-1), "reward.points_per_unit.per: -1 must be greater than 0"),
        (
            per_unit(points=0),
            "reward.points_per_unit.points: 0 gives no points; use a positive or a negative number",
        ),
        (
            per_unit(rounding="nearest"),
            'reward.points_per_unit.rounding: "nearest" is not one of floor, round, ceil',
        ),
        (per_unit(cap=0), "reward.points_per_unit.cap: 0 must be at least 1"),
        (per_unit(cap=2.5), "reward.points_per_unit.cap: 2.5 must be a whole number"),
        (with_(reward={"points_per_unit": {"per": 1}}), "reward.points_per_unit.counter: is required"),
        (with_(reward={"fixed": 2.5}), "reward.fixed: 2.5 must be a whole number"),
        (with_(reward={"fixed": 0}), "reward.fixed: 0 gives no points; use a positive or a negative number"),
        (with_(reward={"fixed": {"pts": 5}}), "reward.fixed.pts: unknown field; expected one of points"),
        (with_(reward={"multiplier": 1}), "reward.multiplier: 1 must be greater than 1"),
        (
            with_(reward={"multiplier": {"factor": 0.5}}),
            "reward.multiplier.factor: 0.5 must be greater than 1",
        ),
        (
            with_(reward={"fixed": 5, "multiplier": 2}),
            "reward: needs exactly one of fixed, points_per_unit, multiplier (found fixed, multiplier)",
        ),
        (
            with_(reward={"bonus": 5}),
            "reward: needs exactly one of fixed, points_per_unit, multiplier (found none)",
        ),
        (
            with_(reward=None),
            "reward: is required (one of fixed, points_per_unit, multiplier) unless the rule has reactions",
        ),
        (
            limit(scope="profile", period="fortnight", max_times=1),
            'limits[0].period: "fortnight" is not one of day, week, month, year, ever',
        ),
        (limit(period="day", max_times=1), "limits[0].scope: is required (profile or rule)"),
        (
            limit(scope="member", period="day", max_times=1),
            'limits[0].scope: "member" is not one of profile, rule',
        ),
        (
            limit(scope="profile", max_times=1),
            "limits[0]: needs exactly one of period, rolling_hours, rolling_days (found none)",
        ),
        (
            limit(scope="profile", period="day", rolling_hours=24, max_times=1),
            "limits[0]: needs exactly one of period, rolling_hours, rolling_days"
            " (found period, rolling_hours)",
        ),
        (limit(scope="profile", period="day"), "limits[0]: needs max_times, max_points or both"),
        (limit(scope="profile", period="day", max_times=0), "limits[0].max_times: 0 must be at least 1"),
        (
            limit(scope="profile", rolling_hours=0, max_times=1),
            "limits[0].rolling_hours: 0 must be at least 1",
        ),
        (
            limit(scope="profile", rolling_days=100000, max_times=1),
            "limits[0].rolling_days: 100000 is more than the most allowed, 3660",
        ),
        (
            limit(scope="profile", period="day", max_times=1, when_exceeded="skip"),
            "limits[0].when_exceeded: applies to max_points only (max_times always skips)",
        ),
        (
            limit(scope="profile", period="day", max_points=10, when_exceeded="drop"),
            'limits[0].when_exceeded: "drop" is not one of cap, skip',
        ),
        (with_(limits={"scope": "profile"}), 'limits: {"scope": "profile"} must be a list of limits'),
        ({k: v for k, v in BIG_SPENDER.items() if k != "name"}, "name: is required"),
        (with_(name="  "), 'name: "  " must not be empty'),
        (with_(status="live"), 'status: "live" is not one of draft, active, paused, archived'),
        (with_(priority="high"), 'priority: "high" must be a whole number'),
        (with_(priority=10**9), "priority: 1000000000 must be between -1000000 and 1000000"),
        (with_(stop="yes"), 'stop: "yes" must be true or false'),
        (
            with_(prority=5),
            "prority: unknown field; expected one of name, description, status, priority, stop, source,"
            " active_from, active_until, conditions, reward, limits, reactions",
        ),
        (
            with_(source={"connector": "con_a", "event_type": "x"}),
            "source: needs exactly one of any, connector, event_type (found connector, event_type)",
        ),
        (with_(source={"any": False}), "source.any: false must be true (or pick connector or event_type)"),
        (with_(source={"connector": ""}), 'source.connector: "" must not be empty'),
        (
            with_(active_from="2026-12-01T00:00:00"),
            'active_from: "2026-12-01T00:00:00" needs a time zone offset,'
            ' e.g. "2026-12-01T00:00:00Z" or "2026-12-01T00:00:00+01:00"',
        ),
        (
            with_(active_from="1 December"),
            'active_from: "1 December" is not an ISO 8601 date-time such as "2026-12-01T00:00:00Z"',
        ),
        (
            with_(active_until="2026-11-01T00:00:00Z"),
            'active_until: "2026-11-01T00:00:00Z" must be after active_from "2026-12-01T00:00:00Z"',
        ),
    ],
)
def test_errors_name_the_field_and_the_bad_value(body: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRule) as caught:
        parse_rule(body)
    assert caught.value.message == message
    assert caught.value.code == "invalid_rule"
    assert caught.value.details == {"path": message.split(":")[0]}


def test_a_body_that_is_not_an_object() -> None:
    with pytest.raises(InvalidRule, match=r"^body: must be a JSON object$"):
        parse_rule([1, 2])  # type: ignore[arg-type]
