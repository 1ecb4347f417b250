"""Rewards: fixed points, points per counter unit (Decimal, rounding, cap), multipliers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_rules_support import entry, make_event, make_rule, points_by_rule, run


def per_unit(amount: float, **reward: Any) -> int:
    body = {"counter": "amount", "per": 1, "points": 1, **reward}
    rule = make_rule("rule_spend", reward={"points_per_unit": body})
    return sum(a.points for a in run([rule], make_event(counters=[("amount", amount)])).awards)


def test_fixed_points() -> None:
    rule = make_rule("rule_welcome", reward={"fixed": 50})
    evaluation = run([rule], make_event())
    assert points_by_rule(evaluation) == {"rule_welcome": 50}
    assert entry(evaluation, "rule_welcome")["reward"] == "fixed 50"


def test_decimal_arithmetic_is_exact() -> None:
    # In floats 19.99 * 100 is 1998.9999999999998, which floors to 1998; the rules give 1999.
    assert per_unit(19.99, per=1.00, points=100) == 1999
    assert per_unit(19.99, per=0.01, points=1) == 1999
    assert per_unit(0.1 + 0.2, per=0.1, points=1, rounding="floor") == 3  # 0.30000000000000004 / 0.1


@pytest.mark.parametrize(
    ("amount", "floor", "round_", "ceil"),
    [
        (2.4, 2, 2, 3),
        (2.5, 2, 3, 3),  # halves round away from zero
        (2.6, 2, 3, 3),
        (3, 3, 3, 3),
        (-2.4, -2, -2, -3),  # rounding works on the size: a refund mirrors its purchase
        (-2.5, -2, -3, -3),
        (-2.6, -2, -3, -3),
    ],
)
def test_rounding(amount: float, floor: int, round_: int, ceil: int) -> None:
    assert per_unit(amount, rounding="floor") == floor
    assert per_unit(amount, rounding="round") == round_
    assert per_unit(amount, rounding="ceil") == ceil


def test_rounding_defaults_to_floor_and_points_can_be_fractional() -> None:
    assert per_unit(9, points=0.5) == 4  # 4.5 → 4
    assert per_unit(45, per=10, points=1) == 4  # 1 point per full 10


def test_cap_per_event_applies_to_the_size_of_the_award() -> None:
    assert per_unit(1000, cap=500) == 500
    assert per_unit(499.99, cap=500) == 499
    assert per_unit(-1000, cap=500) == -500


def test_the_trace_shows_the_arithmetic() -> None:
    rule = make_rule(
        "rule_spend",
        reward={
            "points_per_unit": {"counter": "amount", "per": 0.5, "points": 1, "rounding": "round", "cap": 30}
        },
    )
    evaluation = run([rule], make_event(counters=[("amount", 19.99)]))
    assert (
        entry(evaluation, "rule_spend")["reward"] == "amount 19.99 ÷ 0.5 × 1 = 39.98, round → 40, cap 30 → 30"
    )
    assert points_by_rule(evaluation) == {"rule_spend": 30}


def test_a_missing_counter_means_the_rule_does_not_match() -> None:
    rule = make_rule("rule_spend", reward={"points_per_unit": {"counter": "amount"}})
    evaluation = run([rule], make_event(counters=[("total", 10)]))
    assert evaluation.awards == []
    traced = entry(evaluation, "rule_spend")
    assert traced["outcome"] == "not_matched"
    assert traced["reason"] == "counter amount is missing (the reward needs it)"


def test_zero_points_give_no_award() -> None:
    rule = make_rule("rule_spend", reward={"points_per_unit": {"counter": "amount", "per": 1}})
    evaluation = run([rule], make_event(counters=[("amount", 0.99)]))
    assert evaluation.awards == []
    assert entry(evaluation, "rule_spend")["outcome"] == "zero_points"


def test_negative_points_are_awarded() -> None:
    refund = make_rule("rule_refund", source={"event_type": "ecommerce.refund"}, reward={"fixed": -50})
    evaluation = run([refund], make_event(event_type="ecommerce.refund"))
    assert points_by_rule(evaluation) == {"rule_refund": -50}
    assert entry(evaluation, "rule_refund")["outcome"] == "awarded"


def base(rule_id: str, points: int, priority: int) -> Any:
    return make_rule(rule_id, priority=priority, reward={"fixed": points})


def multiplier(rule_id: str, factor: float, priority: int = 0, **extra: Any) -> Any:
    return make_rule(rule_id, priority=priority, reward={"multiplier": {"factor": factor, **extra}})


def test_a_multiplier_adds_factor_minus_one_times_what_earlier_rules_awarded() -> None:
    evaluation = run(
        [base("rule_a", 100, 20), base("rule_b", 50, 10), multiplier("rule_x2", 2)], make_event()
    )
    assert points_by_rule(evaluation) == {"rule_a": 100, "rule_b": 50, "rule_x2": 150}
    assert evaluation.points == 300
    assert (
        entry(evaluation, "rule_x2")["reward"]
        == "×2 on 150 points from earlier rules = 150 extra, floor → 150"
    )


def test_a_multiplier_only_sees_rules_before_it() -> None:
    evaluation = run(
        [base("rule_a", 100, 20), multiplier("rule_x2", 2, priority=10), base("rule_b", 50, 0)], make_event()
    )
    assert points_by_rule(evaluation) == {"rule_a": 100, "rule_x2": 100, "rule_b": 50}


def test_multipliers_compound_and_round_and_cap() -> None:
    evaluation = run(
        [base("rule_a", 75, 20), multiplier("rule_m1", 1.5, 10), multiplier("rule_m2", 2, 0)], make_event()
    )
    assert points_by_rule(evaluation) == {
        "rule_a": 75,
        "rule_m1": 37,
        "rule_m2": 112,
    }  # 37.5 floored; then ×2 of 112
    capped = run([base("rule_a", 75, 20), multiplier("rule_m", 3, cap=100)], make_event())
    assert points_by_rule(capped) == {"rule_a": 75, "rule_m": 100}
    ceiled = run([base("rule_a", 75, 20), multiplier("rule_m", 1.5, rounding="ceil")], make_event())
    assert points_by_rule(ceiled) == {"rule_a": 75, "rule_m": 38}


def test_a_multiplier_with_nothing_before_it_gives_nothing() -> None:
    evaluation = run([multiplier("rule_x2", 2)], make_event())
    assert evaluation.awards == []
    assert entry(evaluation, "rule_x2")["outcome"] == "zero_points"


def test_a_multiplier_doubles_a_negative_award_too() -> None:
    evaluation = run([base("rule_refund", -40, 10), multiplier("rule_x2", 2)], make_event())
    assert points_by_rule(evaluation) == {"rule_refund": -40, "rule_x2": -40}
