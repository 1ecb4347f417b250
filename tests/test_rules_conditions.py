"""Every condition operator, true and false, with the trace sentence naming the actual value."""

from __future__ import annotations

from typing import Any

import pytest

from earning_rules.conditions import check, parse_conditions
from earning_rules.event import Facts
from tests.test_rules_support import entry, make_event, make_rule, run


def failure(
    cond: dict[str, Any], tags: list[tuple[str, str]] | None = None, counters: Any = ()
) -> str | None:
    found = check(parse_conditions(cond), Facts.of(make_event(tags or [], counters)))
    return None if found is None else found[1]


CHANNEL_WEB = [("channel", "web")]
CHANNEL_APP = [("channel", "app")]
TWO_CATEGORIES = [("category", "shoes"), ("category", "socks")]


@pytest.mark.parametrize(
    ("cond", "tags", "expected"),
    [
        ({"op": "eq", "value": "web"}, CHANNEL_WEB, None),
        ({"op": "eq", "value": "web"}, CHANNEL_APP, 'tag channel = "app" is not "web"'),
        ({"op": "eq", "value": "Web"}, CHANNEL_WEB, 'tag channel = "web" is not "Web"'),  # case matters
        ({"op": "eq", "value": "web"}, [], "tag channel is missing"),
        ({"op": "ne", "value": "web"}, CHANNEL_APP, None),
        ({"op": "ne", "value": "web"}, [], None),  # the opposite of eq: a missing tag is not "web"
        ({"op": "ne", "value": "web"}, CHANNEL_WEB, 'tag channel = "web" but must not be "web"'),
        ({"op": "in", "value": ["web", "store"]}, CHANNEL_WEB, None),
        (
            {"op": "in", "value": ["web", "store"]},
            CHANNEL_APP,
            'tag channel = "app" is not one of "web", "store"',
        ),
        ({"op": "not_in", "value": ["web", "store"]}, CHANNEL_APP, None),
        ({"op": "not_in", "value": ["web", "store"]}, [], None),
        (
            {"op": "not_in", "value": ["web", "store"]},
            CHANNEL_WEB,
            'tag channel = "web" but must not be one of "web", "store"',
        ),
        ({"op": "contains", "value": "ap"}, CHANNEL_APP, None),
        ({"op": "contains", "value": "ap"}, CHANNEL_WEB, 'tag channel = "web" does not contain "ap"'),
        ({"op": "starts_with", "value": "w"}, CHANNEL_WEB, None),
        ({"op": "starts_with", "value": "w"}, CHANNEL_APP, 'tag channel = "app" does not start with "w"'),
        ({"op": "regex", "value": "^(web|app)$"}, CHANNEL_APP, None),
        ({"op": "regex", "value": "^st"}, CHANNEL_APP, 'tag channel = "app" does not match regex "^st"'),
        ({"op": "regex", "value": "(?i)^WEB$"}, CHANNEL_WEB, None),  # case-insensitive by inline flag
        ({"op": "exists"}, CHANNEL_APP, None),
        ({"op": "exists"}, [], "tag channel is missing"),
        ({"op": "missing"}, [], None),
        ({"op": "missing"}, CHANNEL_APP, 'tag channel = "app" is present, expected missing'),
    ],
)
def test_tag_operators(cond: dict[str, Any], tags: list[tuple[str, str]], expected: str | None) -> None:
    assert failure({"tag": "channel", **cond}, tags) == expected


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ({"op": "eq", "value": "socks"}, None),
        ({"op": "eq", "value": "hats"}, 'tag category has values "shoes", "socks"; none is "hats"'),
        ({"op": "in", "value": ["hats", "socks"]}, None),
        ({"op": "contains", "value": "ock"}, None),
        (
            {"op": "starts_with", "value": "x"},
            'tag category has values "shoes", "socks"; none starts with "x"',
        ),
        ({"op": "ne", "value": "shoes"}, 'tag category = "shoes" but must not be "shoes"'),
        ({"op": "missing"}, 'tag category = "shoes", "socks" is present, expected missing'),
    ],
)
def test_a_repeated_tag_matches_when_any_value_does(cond: dict[str, Any], expected: str | None) -> None:
    assert failure({"tag": "category", **cond}, TWO_CATEGORIES) == expected


@pytest.mark.parametrize(
    ("cond", "amount", "expected"),
    [
        ({"op": "eq", "value": 20}, 20, None),
        ({"op": "eq", "value": 20}, 12, "counter amount = 12 is not = 20"),
        ({"op": "ne", "value": 20}, 12, None),
        ({"op": "ne", "value": 20}, 20, "counter amount = 20 is not ≠ 20"),
        ({"op": "ne", "value": 20}, None, None),  # the opposite of eq: a missing counter is not 20
        ({"op": "gt", "value": 20}, 20.01, None),
        ({"op": "gt", "value": 20}, 20, "counter amount = 20 is not > 20"),
        ({"op": "gte", "value": 20}, 20, None),
        ({"op": "gte", "value": 20}, 12, "counter amount = 12 is not ≥ 20"),
        ({"op": "gte", "value": 20}, 19.99, "counter amount = 19.99 is not ≥ 20"),
        ({"op": "gte", "value": 20}, None, "counter amount is missing"),
        ({"op": "lt", "value": 20}, 19.99, None),
        ({"op": "lt", "value": 20}, 20, "counter amount = 20 is not < 20"),
        ({"op": "lte", "value": 20}, 20, None),
        ({"op": "lte", "value": 20}, 21, "counter amount = 21 is not ≤ 20"),
        ({"op": "between", "value": [20, 50]}, 20, None),  # both ends included
        ({"op": "between", "value": [20, 50]}, 50, None),
        ({"op": "between", "value": [20, 50]}, 50.5, "counter amount = 50.5 is not between 20 and 50"),
        ({"op": "between", "value": [20, 50]}, 19.5, "counter amount = 19.5 is not between 20 and 50"),
        ({"op": "between", "value": [20, 50]}, None, "counter amount is missing"),
        ({"op": "exists"}, 0, None),
        ({"op": "exists"}, None, "counter amount is missing"),
        ({"op": "missing"}, None, None),
        ({"op": "missing"}, 12, "counter amount = 12 is present, expected missing"),
    ],
)
def test_counter_operators(cond: dict[str, Any], amount: float | None, expected: str | None) -> None:
    counters = [] if amount is None else [("amount", amount)]
    assert failure({"counter": "amount", **cond}, counters=counters) == expected


def test_counters_with_the_same_name_are_summed_exactly() -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in floats; the rules see 0.3.
    assert (
        failure({"counter": "amount", "op": "eq", "value": 0.3}, counters=[("amount", 0.1), ("amount", 0.2)])
        is None
    )
    summed = [("amount", 10), ("amount", 5)]
    assert (
        failure({"counter": "amount", "op": "eq", "value": 10}, counters=summed)
        == "counter amount = 15 is not = 10"
    )


NESTED = {
    "all": [
        {"counter": "amount", "op": "gte", "value": 100},
        {"any": [{"tag": "channel", "op": "eq", "value": "web"}, {"tag": "vip", "op": "exists"}]},
    ]
}


@pytest.mark.parametrize(
    ("tags", "amount", "expected"),
    [
        ([("channel", "web")], 120, None),
        ([("channel", "app"), ("vip", "gold")], 100, None),
        ([("channel", "web")], 99, ("conditions.all[0]", "counter amount = 99 is not ≥ 100")),
        (
            [("channel", "app")],
            150,
            (
                "conditions.all[1]",
                'none of the `any` conditions holds: tag channel = "app" is not "web"; tag vip is missing',
            ),
        ),
    ],
)
def test_all_with_a_nested_any(tags: list[tuple[str, str]], amount: int, expected: Any) -> None:
    assert check(parse_conditions(NESTED), Facts.of(make_event(tags, [("amount", amount)]))) == expected


def test_any_at_the_top_and_a_single_condition_at_the_top() -> None:
    top_any = {
        "any": [{"tag": "channel", "op": "eq", "value": "web"}, {"counter": "amount", "op": "gt", "value": 0}]
    }
    assert failure(top_any, [("channel", "app")], [("amount", 1)]) is None
    assert failure({"tag": "vip", "op": "exists"}, [("vip", "1")]) is None


def test_the_trace_names_the_failing_condition_and_its_actual_value() -> None:
    rule = make_rule("rule_big", conditions=NESTED)
    evaluation = run([rule], make_event([("channel", "web")], [("amount", 12)]))
    assert evaluation.awards == []
    traced = entry(evaluation, "rule_big")
    assert traced["outcome"] == "not_matched"
    assert traced["condition"] == "conditions.all[0]"
    assert traced["reason"] == "counter amount = 12 is not ≥ 100"


def test_no_conditions_matches_every_event_from_the_source() -> None:
    evaluation = run([make_rule("rule_any")], make_event())
    assert [a.points for a in evaluation.awards] == [10]
