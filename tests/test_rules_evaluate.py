"""Evaluation: order by priority, stop, statuses, sources, active windows at the event's time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from earning_rules import Rule, RuleEvent, Usage, evaluate
from tests.test_rules_support import UTC_ZONE, entry, make_event, make_rule, points_by_rule, run


def tier(rule_id: str, threshold: int, points: int, priority: int) -> Rule:
    return make_rule(
        rule_id,
        priority=priority,
        stop=True,
        source={"event_type": "ecommerce.purchase"},
        conditions={"all": [{"counter": "amount", "op": "gte", "value": threshold}]},
        reward={"fixed": points},
    )


TIERS = [tier("rule_t20", 20, 20, 10), tier("rule_t50", 50, 50, 20), tier("rule_t100", 100, 100, 30)]


@pytest.mark.parametrize(
    ("amount", "points"), [(120, 100), (100, 100), (60, 50), (50, 50), (20, 20), (19.99, 0)]
)
def test_tiered_spend_earns_exactly_one_tier(amount: float, points: int) -> None:
    evaluation = run(TIERS, make_event(counters=[("amount", amount)]))
    assert evaluation.points == points
    assert len(evaluation.awards) == (1 if points else 0)


def test_tiered_spend_trace() -> None:
    evaluation = run(TIERS, make_event(counters=[("amount", 60)]))
    assert [(e["ruleId"], e["outcome"]) for e in evaluation.trace] == [
        ("rule_t100", "not_matched"),
        ("rule_t50", "awarded"),
        ("rule_t20", "skipped_after_stop"),
    ]
    assert entry(evaluation, "rule_t100")["reason"] == "counter amount = 60 is not ≥ 100"
    assert entry(evaluation, "rule_t20")["reason"] == "rule rule_t50 awarded and has stop"


def test_higher_priority_first_then_rule_id() -> None:
    rules = [
        make_rule("rule_c", priority=5),
        make_rule("rule_b", priority=1),
        make_rule("rule_a", priority=1),
        make_rule("rule_d", priority=-3),
    ]
    evaluation = run(rules, make_event())
    assert [e["ruleId"] for e in evaluation.trace] == ["rule_c", "rule_a", "rule_b", "rule_d"]
    assert [a.rule_id for a in evaluation.awards] == ["rule_c", "rule_a", "rule_b", "rule_d"]


def test_stop_only_counts_when_the_rule_awards() -> None:
    stopper = make_rule("rule_stop", priority=10, stop=True, conditions={"tag": "vip", "op": "exists"})
    after = make_rule("rule_after")
    assert points_by_rule(run([stopper, after], make_event())) == {"rule_after": 10}
    assert points_by_rule(run([stopper, after], make_event([("vip", "1")]))) == {"rule_stop": 10}


def test_statuses_and_dry_run() -> None:
    rules = [make_rule(f"rule_{s}", status=s) for s in ("draft", "active", "paused", "archived")]
    live = run(rules, make_event())
    assert points_by_rule(live) == {"rule_active": 10}
    assert entry(live, "rule_paused") | {"points": 0} == {
        "ruleId": "rule_paused",
        "ruleVersion": 1,
        "name": "rule_paused",
        "priority": 0,
        "outcome": "inactive",
        "inactive": "status",
        "reason": "status is paused",
        "points": 0,
    }
    dry = run(rules, make_event(), include_statuses=frozenset({"draft", "active", "paused"}))
    assert points_by_rule(dry) == {"rule_active": 10, "rule_draft": 10, "rule_paused": 10}


@pytest.mark.parametrize(
    ("source", "connector_id", "event_type", "reason"),
    [
        ({"any": True}, "con_x", "custom.basic", None),
        ({"connector": "con_shop"}, "con_shop", "custom.basic", None),
        ({"event_type": "ecommerce.purchase"}, "con_x", "ecommerce.purchase", None),
        (
            {"connector": "con_shop"},
            "con_blog",
            "ecommerce.purchase",
            "the rule listens to connector con_shop; this event came from con_blog",
        ),
        (
            {"event_type": "ecommerce.purchase"},
            "con_shop",
            "custom.basic",
            "the rule listens to event type ecommerce.purchase; this event is custom.basic",
        ),
    ],
)
def test_source(source: dict[str, Any], connector_id: str, event_type: str, reason: str | None) -> None:
    rules = [make_rule("rule_src", source=source)]
    event = make_event(connector_id=connector_id, event_type=event_type)
    evaluation = run(rules, event)
    if reason is None:
        assert entry(evaluation, "rule_src")["outcome"] == "awarded"
        assert evaluation.elsewhere == 0
    else:
        # Left out of an event's trace and counted; a rule's preview still says why.
        assert (evaluation.trace, evaluation.elsewhere) == ([], 1)
        assert evaluation.trace_step() == {"step": "rules", "rules": [], "otherSources": 1}
        traced = entry(run(rules, event, every_source=True), "rule_src")
        assert (traced["outcome"], traced["reason"]) == ("wrong_source", reason)


def test_a_trace_lists_only_the_rules_that_listen_to_the_event() -> None:
    # Was: every active rule of every connector was traced as wrong_source; with 100 rules the
    # trace of one event was unreadable.
    mine = [make_rule("rule_mine", source={"connector": "con_shop"}), make_rule("rule_any")]
    others = [make_rule(f"rule_{n:03}", source={"connector": f"con_{n:03}"}) for n in range(100)]
    typed = make_rule("rule_typed", source={"event_type": "app.login"})
    evaluation = run([*others, typed, *mine], make_event(connector_id="con_shop"))
    assert sorted(e["ruleId"] for e in evaluation.trace) == ["rule_any", "rule_mine"]
    assert evaluation.elsewhere == 101 and evaluation.points == 2 * 10


CAMPAIGN: dict[str, Any] = {
    "active_from": "2026-12-01T00:00:00+01:00",
    "active_until": "2027-01-01T00:00:00+01:00",
}


@pytest.mark.parametrize(
    ("at", "outcome", "inactive"),
    [
        (datetime(2026, 11, 30, 22, 59, 59, tzinfo=UTC), "inactive", "active_from"),
        (datetime(2026, 11, 30, 23, 0, 0, tzinfo=UTC), "awarded", None),  # active_from is included
        (datetime(2026, 12, 31, 22, 59, 59, tzinfo=UTC), "awarded", None),
        (datetime(2026, 12, 31, 23, 0, 0, tzinfo=UTC), "inactive", "active_until"),  # active_until is not
    ],
)
def test_active_window_bounds(at: datetime, outcome: str, inactive: str | None) -> None:
    traced = entry(run([make_rule("rule_xmas", **CAMPAIGN)], make_event(at=at)), "rule_xmas")
    assert traced["outcome"] == outcome
    assert traced.get("inactive") == inactive


def test_source_is_checked_before_the_window() -> None:
    """Previewed, another connector's past campaign says `wrong_source`, not `inactive`: it never
    applied here. (An event's own trace leaves such rules out and counts them.)"""
    past = make_rule("rule_past", source={"connector": "con_shop"}, **CAMPAIGN)
    after = datetime(2027, 2, 1, tzinfo=UTC)
    elsewhere = entry(
        run([past], make_event(connector_id="con_blog", at=after), every_source=True), "rule_past"
    )
    assert (elsewhere["outcome"], "inactive" in elsewhere) == ("wrong_source", False)
    assert elsewhere["reason"] == "the rule listens to connector con_shop; this event came from con_blog"
    # On its own connector, the window decides; the status still comes first of all.
    here = entry(run([past], make_event(connector_id="con_shop", at=after)), "rule_past")
    assert (here["outcome"], here["inactive"]) == ("inactive", "active_until")
    paused = make_rule("rule_paused", status="paused", source={"connector": "con_shop"})
    traced = entry(run([paused], make_event(connector_id="con_blog"), every_source=True), "rule_paused")
    assert (traced["outcome"], traced["inactive"]) == ("inactive", "status")


def test_a_backdated_event_is_judged_at_its_own_timestamp() -> None:
    # Received during the campaign, but it happened before it started: no campaign points.
    happened = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    traced = entry(run([make_rule("rule_xmas", **CAMPAIGN)], make_event(at=happened)), "rule_xmas")
    assert traced["outcome"] == "inactive"
    assert traced["reason"] == (
        "the event happened at 2026-11-28T09:00:00Z, before active_from 2026-12-01T00:00:00+01:00"
    )
    # Received after the campaign ended, but it happened during it: campaign points.
    during = datetime(2026, 12, 24, 18, 0, tzinfo=UTC)
    assert points_by_rule(run([make_rule("rule_xmas", **CAMPAIGN)], make_event(at=during))) == {
        "rule_xmas": 10
    }


def test_an_award_carries_the_rule_version_and_limits_count_across_versions() -> None:
    v2 = make_rule("rule_daily", version=2, limits=[{"scope": "profile", "period": "day", "max_times": 1}])
    fresh = run([v2], make_event())
    assert [(a.rule_id, a.rule_version, a.rule_name, a.points) for a in fresh.awards] == [
        ("rule_daily", 2, "rule_daily", 10)
    ]
    # Usage is keyed by rule id: what version 1 gave today still counts for version 2.
    used = run([v2], make_event(), {("rule_daily", "profile:day"): Usage(times=1, points=10)})
    assert used.awards == []
    assert entry(used, "rule_daily")["outcome"] == "limit_reached"


def test_the_trace_has_one_entry_per_rule_and_always_serialises() -> None:
    rules = [*TIERS, make_rule("rule_paused", status="paused")]
    evaluation = run(rules, make_event(counters=[("amount", 500)]))
    assert len(evaluation.trace) == 4
    assert all(e["outcome"] is not None for e in evaluation.trace)


def test_evaluation_is_pure_and_repeatable() -> None:
    event = make_event(counters=[("amount", 120)])
    first = evaluate(TIERS, event, {}, UTC_ZONE)
    assert evaluate(list(reversed(TIERS)), event, {}, UTC_ZONE) == first


def test_an_event_needs_an_aware_timestamp() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        RuleEvent("con", "custom.basic", datetime(2026, 1, 1), [], [])
