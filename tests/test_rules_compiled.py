"""Rules prepared once per version (earning_rules/compiled.py) judge exactly as the rules as written.

The prepared test of a rule's conditions must agree with `conditions.check`, the reader of
record, on every condition and every set of facts; what a prepared rule remembers (a refusal's
words, a reward's arithmetic) must never show in a trace as anything but what judging afresh
would have written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from earning_rules import compiled as prepared_rules
from earning_rules.compiled import condition_test
from earning_rules.conditions import check, parse_conditions
from earning_rules.event import Facts
from tests.test_rules_support import BIG_SPENDER, make_event, make_rule, run

TAGS = ("channel", "vip", "sku")
COUNTERS = ("amount", "qty")
WORDS = ("web", "app", "we", "", "Web", "store")
NUMBERS = (-5, 0, 1, 19.99, 20, 50, 100)


def tag_condition() -> st.SearchStrategy[dict[str, Any]]:
    name = st.sampled_from(TAGS)
    one = st.builds(
        lambda n, op, v: {"tag": n, "op": op, "value": v},
        name,
        st.sampled_from(["eq", "ne"]),
        st.sampled_from(WORDS),
    )
    part = st.builds(
        lambda n, op, v: {"tag": n, "op": op, "value": v},
        name,
        st.sampled_from(["contains", "starts_with", "regex"]),
        st.sampled_from([w for w in WORDS if w] + ["^w.b$", "[ae]p"]),
    )
    several = st.builds(
        lambda n, op, v: {"tag": n, "op": op, "value": v},
        name,
        st.sampled_from(["in", "not_in"]),
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
    )
    bare = st.builds(lambda n, op: {"tag": n, "op": op}, name, st.sampled_from(["exists", "missing"]))
    return st.one_of(one, part, several, bare)


def counter_condition() -> st.SearchStrategy[dict[str, Any]]:
    name = st.sampled_from(COUNTERS)
    compare = st.builds(
        lambda n, op, v: {"counter": n, "op": op, "value": v},
        name,
        st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte"]),
        st.sampled_from(NUMBERS),
    )
    between = st.builds(
        lambda n, ends: {"counter": n, "op": "between", "value": sorted(ends)},
        name,
        st.lists(st.sampled_from(NUMBERS), min_size=2, max_size=2),
    )
    bare = st.builds(lambda n, op: {"counter": n, "op": op}, name, st.sampled_from(["exists", "missing"]))
    return st.one_of(compare, between, bare)


def conditions() -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.one_of(tag_condition(), counter_condition())
    inner = st.one_of(
        leaf,
        st.builds(
            lambda m, xs: {m: xs}, st.sampled_from(["all", "any"]), st.lists(leaf, min_size=1, max_size=3)
        ),
    )
    return st.one_of(
        leaf,
        st.builds(
            lambda m, xs: {m: xs}, st.sampled_from(["all", "any"]), st.lists(inner, min_size=1, max_size=3)
        ),
    )


def facts() -> st.SearchStrategy[Facts]:
    tags = st.dictionaries(
        st.sampled_from(TAGS), st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(tuple)
    )
    counters = st.dictionaries(
        st.sampled_from(COUNTERS), st.sampled_from(NUMBERS).map(lambda n: Decimal(str(n)))
    )
    return st.builds(Facts, tags, counters)


@settings(max_examples=3000, deadline=None)
@given(conditions(), facts())
def test_the_prepared_test_agrees_with_check(data: dict[str, Any], seen: Facts) -> None:
    cond = parse_conditions(data)
    assert condition_test(cond)(seen) is (check(cond, seen) is None)


def rules_with_every_kind(version: int = 1) -> list[Any]:
    return [
        make_rule("rule_big", version=version, **{**BIG_SPENDER, "active_from": None, "active_until": None}),
        make_rule(
            "rule_web",
            version=version,
            priority=5,
            conditions={"tag": "channel", "op": "in", "value": ["web", "app"]},
            reward={"points_per_unit": {"counter": "amount", "per": 10, "points": 3, "rounding": "round"}},
        ),
        make_rule(
            "rule_double", version=version, priority=1, reward={"multiplier": {"factor": 2, "cap": 40}}
        ),
        make_rule(
            "rule_sku",
            version=version,
            priority=3,
            conditions={
                "any": [
                    {"tag": "sku", "op": "regex", "value": "^A[0-9]+$"},
                    {"counter": "qty", "op": "gt", "value": 2},
                ]
            },
            reward={"fixed": 7},
        ),
    ]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["web", "app", "store"]),
            st.sampled_from([5, 19.99, 20, 100, 150.5, 400]),
            st.sampled_from(["A1", "B2"]),
            st.sampled_from([1, 3]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_what_a_prepared_rule_remembers_reads_as_judging_afresh(events: list[tuple[Any, ...]]) -> None:
    """The same rules judge a run of events twice: once remembering across events, once as new
    rule versions for each event, which remember nothing. The traces and awards are the same."""
    remembering = rules_with_every_kind()

    def judge(rules: list[Any], event_data: tuple[Any, ...]) -> tuple[list[dict[str, Any]], list[Any]]:
        channel, amount, sku, qty = event_data
        event = make_event(
            tags=[("channel", channel), ("sku", sku)], counters=[("amount", amount), ("qty", qty)]
        )
        evaluation = run(rules, event)
        trace = [{k: v for k, v in entry.items() if k != "ruleVersion"} for entry in evaluation.trace]
        return trace, [award._replace(rule_version=0) for award in evaluation.awards]

    remembered = [judge(remembering, e) for e in events]
    afresh = [judge(rules_with_every_kind(version=next(_versions)), e) for e in events]
    assert remembered == afresh


_versions = iter(range(2, 10**9))


def test_a_rule_read_again_keeps_what_it_remembered_and_a_changed_one_does_not() -> None:
    first = make_rule("rule_x", conditions={"counter": "amount", "op": "gte", "value": 50})
    again = make_rule("rule_x", conditions={"counter": "amount", "op": "gte", "value": 50})
    changed = make_rule("rule_x", conditions={"counter": "amount", "op": "gte", "value": 10})
    event = make_event(counters=[("amount", 20)])
    assert run([first], event).trace[0]["outcome"] == "not_matched"
    assert prepared_rules.compiled(again).refusals is prepared_rules.compiled(first).refusals
    # The same id and version with another definition (only tests build such a thing): judged by
    # what it says, never by what the other one remembered.
    assert run([changed], make_event(counters=[("amount", 20)])).trace[0]["outcome"] == "awarded"


def test_what_a_rule_remembers_is_bounded() -> None:
    rule = make_rule(
        "rule_bounded",
        conditions={"counter": "amount", "op": "gt", "value": 10**9},
        reward={"points_per_unit": {"counter": "amount", "per": 1, "points": 1}},
    )
    for amount in range(3 * prepared_rules._MEMO):
        run([rule], make_event(counters=[("amount", amount)]))
    prepared = prepared_rules.compiled(rule)
    assert 0 < len(prepared.refusals) <= prepared_rules._MEMO
    assert (
        run([rule], make_event(counters=[("amount", 3)])).trace[0]["reason"]
        == "counter amount = 3 is not > 1000000000"
    )


def test_a_regex_refusal_is_not_remembered() -> None:
    """A regex's time limit makes its answer depend on the moment: judged each time."""
    rule = make_rule("rule_regex", conditions={"tag": "sku", "op": "regex", "value": "^A"})
    for _ in range(3):
        assert run([rule], make_event(tags=[("sku", "B1")])).trace[0]["outcome"] == "not_matched"
    assert prepared_rules.compiled(rule).refusals == {}
