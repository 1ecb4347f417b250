"""The JSON form of a rule: defaults, the normal form storage keeps, and round trips."""

from __future__ import annotations

import json
from typing import Any

import pytest

from earning_rules import parse_rule, rule_definition_to_json
from tests.test_rules_support import BIG_SPENDER


def test_defaults_of_a_minimal_rule() -> None:
    normal = rule_definition_to_json(parse_rule({"name": "Welcome", "reward": {"fixed": 50}}))
    assert normal == {
        "name": "Welcome",
        "description": None,
        "status": "draft",
        "priority": 0,
        "stop": False,
        "source": {"any": True},
        "active_from": None,
        "active_until": None,
        "conditions": None,
        "reward": {"fixed": 50},
        "limits": [],
        "reactions": [],
    }


def test_the_normal_form_of_the_big_spender() -> None:
    normal = rule_definition_to_json(parse_rule(BIG_SPENDER))
    assert normal["reward"] == {
        "points_per_unit": {"counter": "amount", "per": 1, "points": 1, "rounding": "floor", "cap": 500}
    }
    assert normal["limits"] == [
        {"scope": "profile", "period": "day", "max_times": 1},
        {"scope": "profile", "rolling_hours": 24, "max_points": 500, "when_exceeded": "cap"},
    ]
    assert normal["conditions"] == BIG_SPENDER["conditions"]
    assert normal["active_until"] == "2026-12-31T23:59:59Z"


ROUND_TRIPS = [
    BIG_SPENDER,
    {"name": "Welcome", "reward": {"fixed": {"points": 50}}},
    {
        "name": "Exact decimals",
        "description": "Keeps 0.01, 19.99 and 0.5 exactly",
        "source": {"connector": "con_shop"},
        "conditions": {
            "any": [
                {"counter": "amount", "op": "between", "value": [19.99, 1000000.5]},
                {"tag": "sku", "op": "regex", "value": "^AB-\\d+$"},
                {"tag": "channel", "op": "not_in", "value": ["test", "internal"]},
            ]
        },
        "reward": {"points_per_unit": {"counter": "amount", "per": 0.01, "points": 0.5, "rounding": "ceil"}},
        "active_from": "2026-12-01T00:00:00+01:00",
        "status": "paused",
        "priority": -5,
    },
    {
        "name": "Double weekend",
        "reward": {"multiplier": 2.5},
        "limits": [{"scope": "rule", "rolling_days": 7, "max_points": 100000, "when_exceeded": "skip"}],
    },
    {
        "name": "Refund",
        "reward": {"points_per_unit": {"counter": "amount", "points": -1, "rounding": "round"}},
    },
]


@pytest.mark.parametrize("body", ROUND_TRIPS, ids=[b["name"] for b in ROUND_TRIPS])
def test_the_json_form_round_trips(body: dict[str, Any]) -> None:
    definition = parse_rule(body)
    stored = json.loads(json.dumps(rule_definition_to_json(definition)))  # as storage keeps it
    assert parse_rule(stored) == definition
    assert rule_definition_to_json(parse_rule(stored)) == stored


def test_a_patch_can_clear_optional_fields_with_null() -> None:
    normal = rule_definition_to_json(parse_rule(BIG_SPENDER))
    cleared = parse_rule(
        {**normal, "conditions": None, "limits": None, "active_from": None, "active_until": None}
    )
    assert cleared.conditions is None
    assert cleared.limits == ()
    assert cleared.active_from is None
