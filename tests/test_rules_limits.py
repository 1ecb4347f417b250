"""Limits: the windows the pipeline counts (calendar in the program's zone, rolling), skip vs cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from earning_rules import LimitWindow, Usage, limit_windows, rules_needing_usage
from tests.test_rules_support import BRUSSELS, entry, make_event, make_rule, points_by_rule, run


def window(
    limit: dict[str, Any], at: datetime, tz: Any = BRUSSELS
) -> tuple[datetime | None, datetime | None]:
    (found,) = limit_windows(make_rule("rule_l", limits=[{"max_times": 1, **limit}]), at, tz)
    return found.start, found.end


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "start", "end"),
    [
        # Brussels is UTC+1 in winter: local midnight is 23:00 UTC the day before.
        (utc(2026, 11, 20, 22, 59), utc(2026, 11, 19, 23), utc(2026, 11, 20, 23)),
        (utc(2026, 11, 20, 23, 0), utc(2026, 11, 20, 23), utc(2026, 11, 21, 23)),
        (utc(2026, 11, 20, 23, 30), utc(2026, 11, 20, 23), utc(2026, 11, 21, 23)),
        # 29 March 2026: clocks go from 02:00 to 03:00, the day has 23 hours.
        (utc(2026, 3, 29, 12), utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)),
        # 25 October 2026: clocks go from 03:00 back to 02:00, the day has 25 hours.
        (utc(2026, 10, 25, 12), utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)),
    ],
)
def test_a_day_is_a_local_calendar_day(at: datetime, start: datetime, end: datetime) -> None:
    assert window({"scope": "profile", "period": "day"}, at) == (start, end)


def test_dst_days_have_23_and_25_hours() -> None:
    spring = window({"scope": "profile", "period": "day"}, utc(2026, 3, 29, 12))
    autumn = window({"scope": "profile", "period": "day"}, utc(2026, 10, 25, 12))
    assert spring[1] - spring[0] == timedelta(hours=23)  # type: ignore[operator]
    assert autumn[1] - autumn[0] == timedelta(hours=25)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("at", "start", "end"),
    [
        # Friday 20 November 2026 → the week of Monday 16 November.
        (utc(2026, 11, 20, 10), utc(2026, 11, 15, 23), utc(2026, 11, 22, 23)),
        # Sunday 22 November, 23:30 in Brussels: still that week.
        (utc(2026, 11, 22, 22, 30), utc(2026, 11, 15, 23), utc(2026, 11, 22, 23)),
        # Monday 23 November, 00:30 in Brussels (still Sunday in UTC): the next week.
        (utc(2026, 11, 22, 23, 30), utc(2026, 11, 22, 23), utc(2026, 11, 29, 23)),
        # The week of the spring DST change starts at UTC+1 and ends at UTC+2.
        (utc(2026, 3, 27, 12), utc(2026, 3, 22, 23), utc(2026, 3, 29, 22)),
    ],
)
def test_a_week_starts_on_monday_local_time(at: datetime, start: datetime, end: datetime) -> None:
    assert window({"scope": "profile", "period": "week"}, at) == (start, end)


def test_months_and_years_turn_at_local_midnight() -> None:
    last_of_year = utc(2026, 12, 31, 22, 30)  # 23:30 on 31 December in Brussels
    first_of_year = utc(2026, 12, 31, 23, 30)  # 00:30 on 1 January in Brussels
    assert window({"scope": "rule", "period": "month"}, last_of_year) == (
        utc(2026, 11, 30, 23),
        utc(2026, 12, 31, 23),
    )
    assert window({"scope": "rule", "period": "month"}, first_of_year) == (
        utc(2026, 12, 31, 23),
        utc(2027, 1, 31, 23),
    )
    assert window({"scope": "rule", "period": "year"}, last_of_year) == (
        utc(2025, 12, 31, 23),
        utc(2026, 12, 31, 23),
    )
    assert window({"scope": "rule", "period": "year"}, first_of_year) == (
        utc(2026, 12, 31, 23),
        utc(2027, 12, 31, 23),
    )
    # March: starts at UTC+1, ends at UTC+2.
    assert window({"scope": "rule", "period": "month"}, utc(2026, 3, 15)) == (
        utc(2026, 2, 28, 23),
        utc(2026, 3, 31, 22),
    )


def test_ever_is_unbounded_and_rolling_windows_surround_the_event() -> None:
    at = utc(2026, 11, 20, 10, 15)
    assert window({"scope": "profile", "period": "ever"}, at) == (None, None)
    assert window({"scope": "profile", "rolling_hours": 24}, at) == (
        at - timedelta(hours=24),
        at + timedelta(hours=24),
    )
    assert window({"scope": "profile", "rolling_days": 7}, at) == (
        at - timedelta(days=7),
        at + timedelta(days=7),
    )


def test_a_backdated_event_counts_in_the_window_of_when_it_happened() -> None:
    happened = utc(2026, 11, 2, 9)
    assert window({"scope": "profile", "period": "day"}, happened) == (
        utc(2026, 11, 1, 23),
        utc(2026, 11, 2, 23),
    )


def test_limit_windows_lists_each_window_once_with_its_scope() -> None:
    rule = make_rule(
        "rule_l",
        limits=[
            {"scope": "profile", "period": "day", "max_times": 1},
            {"scope": "profile", "period": "day", "max_points": 100},
            {"scope": "rule", "period": "day", "max_times": 1000},
            {"scope": "rule", "rolling_hours": 1, "max_points": 10000},
        ],
    )
    at = utc(2026, 11, 20, 10)
    day = (utc(2026, 11, 19, 23), utc(2026, 11, 20, 23))
    assert limit_windows(rule, at, BRUSSELS) == [
        LimitWindow("rule_l", "profile:day", "profile", *day),
        LimitWindow("rule_l", "rule:day", "rule", *day),
        LimitWindow("rule_l", "rule:rolling_hours=1", "rule", utc(2026, 11, 20, 9), utc(2026, 11, 20, 11)),
    ]
    assert limit_windows(make_rule("rule_none"), at, BRUSSELS) == []


DAILY_ONCE = [{"scope": "profile", "period": "day", "max_times": 1}]


def test_max_times_skips_once_used_up() -> None:
    rule = make_rule("rule_daily", limits=DAILY_ONCE)
    first = run([rule], make_event(), tz=BRUSSELS)
    assert first.awards[0].limits == [
        {"key": "profile:day", "limit": "limits[0].max_times", "remaining_before": 1, "consumed": 1}
    ]
    again = run([rule], make_event(), {("rule_daily", "profile:day"): Usage(1, 10)}, tz=BRUSSELS)
    assert again.awards == []
    traced = entry(again, "rule_daily")
    assert traced["outcome"] == "limit_reached"
    assert traced["reason"] == "limits[0].max_times (per profile, per day): 1 of 1 times used, 0 remaining"
    assert traced["limits"] == [
        {
            "limit": "limits[0].max_times",
            "key": "profile:day",
            "window": "per profile, per day",
            "start": "2026-11-20T00:00:00+01:00",
            "end": "2026-11-21T00:00:00+01:00",
            "max": 1,
            "used": 1,
            "remaining_before": 0,
            "consumed": 0,
        }
    ]


def test_usage_of_other_rules_and_windows_does_not_count() -> None:
    rule = make_rule("rule_daily", limits=DAILY_ONCE)
    usage = {("rule_other", "profile:day"): Usage(5, 50), ("rule_daily", "profile:week"): Usage(5, 50)}
    assert points_by_rule(run([rule], make_event(), usage)) == {"rule_daily": 10}


def spend_rule(**limit: Any) -> Any:
    return make_rule(
        "rule_spend",
        reward={"points_per_unit": {"counter": "amount"}},
        limits=[{"scope": "profile", "period": "month", "max_points": 500, **limit}],
    )


def test_max_points_caps_by_default() -> None:
    evaluation = run(
        [spend_rule()],
        make_event(counters=[("amount", 50)]),
        {("rule_spend", "profile:month"): Usage(9, 480)},
    )
    assert points_by_rule(evaluation) == {"rule_spend": 20}
    traced = entry(evaluation, "rule_spend")
    assert traced["outcome"] == "capped"
    assert traced["reason"] == (
        "limits[0].max_points (per profile, per month): 480 of 500 points used, 20 remaining,"
        " 50 would exceed it → capped to 20"
    )
    assert evaluation.awards[0].limits == [
        {"key": "profile:month", "limit": "limits[0].max_points", "remaining_before": 20, "consumed": 20}
    ]


def test_max_points_can_skip_instead() -> None:
    rule = spend_rule(when_exceeded="skip")
    evaluation = run(
        [rule], make_event(counters=[("amount", 50)]), {("rule_spend", "profile:month"): Usage(9, 480)}
    )
    assert evaluation.awards == []
    assert entry(evaluation, "rule_spend")["outcome"] == "limit_reached"
    fits = run(
        [rule], make_event(counters=[("amount", 20)]), {("rule_spend", "profile:month"): Usage(9, 480)}
    )
    assert points_by_rule(fits) == {"rule_spend": 20}


def test_a_cap_with_nothing_left_is_a_reached_limit() -> None:
    evaluation = run(
        [spend_rule()],
        make_event(counters=[("amount", 50)]),
        {("rule_spend", "profile:month"): Usage(9, 500)},
    )
    assert evaluation.awards == []
    assert entry(evaluation, "rule_spend")["outcome"] == "limit_reached"


def test_the_tightest_of_several_limits_wins() -> None:
    rule = make_rule(
        "rule_spend",
        reward={"points_per_unit": {"counter": "amount"}},
        limits=[
            {"scope": "profile", "period": "day", "max_points": 100},
            {"scope": "rule", "rolling_days": 30, "max_points": 10000, "max_times": 500},
        ],
    )
    usage = {
        ("rule_spend", "profile:day"): Usage(1, 40),
        ("rule_spend", "rule:rolling_days=30"): Usage(10, 9970),
    }
    evaluation = run([rule], make_event(counters=[("amount", 80)]), usage)
    assert points_by_rule(evaluation) == {"rule_spend": 30}
    assert [(x["limit"], x["remaining_before"], x["consumed"]) for x in evaluation.awards[0].limits] == [
        ("limits[0].max_points", 60, 30),
        ("limits[1].max_times", 490, 1),
        ("limits[1].max_points", 30, 30),
    ]


def test_a_negative_award_is_not_held_back_by_a_points_limit() -> None:
    rule = make_rule(
        "rule_refund",
        reward={"points_per_unit": {"counter": "amount"}},
        limits=[{"scope": "profile", "period": "month", "max_points": 500}],
    )
    evaluation = run(
        [rule], make_event(counters=[("amount", -80)]), {("rule_refund", "profile:month"): Usage(9, 500)}
    )
    assert points_by_rule(evaluation) == {"rule_refund": -80}


def test_a_capped_award_still_stops_and_a_limited_tier_lets_the_next_one_award() -> None:
    top = make_rule(
        "rule_top",
        priority=10,
        stop=True,
        reward={"fixed": 100},
        limits=[{"scope": "profile", "period": "ever", "max_points": 150}],
    )
    low = make_rule("rule_low", reward={"fixed": 20})
    capped = run([top, low], make_event(), {("rule_top", "profile:ever"): Usage(1, 100)})
    assert points_by_rule(capped) == {"rule_top": 50}
    assert entry(capped, "rule_low")["outcome"] == "skipped_after_stop"
    used_up = run([top, low], make_event(), {("rule_top", "profile:ever"): Usage(2, 150)})
    assert points_by_rule(used_up) == {"rule_low": 20}


def test_usage_above_the_maximum_after_an_edit_leaves_nothing() -> None:
    # Version 2 lowered the daily maximum below what version 1 already gave today.
    rule = make_rule("rule_daily", version=2, limits=[{"scope": "profile", "period": "day", "max_times": 2}])
    evaluation = run([rule], make_event(), {("rule_daily", "profile:day"): Usage(3, 30)})
    assert entry(evaluation, "rule_daily")["limits"][0]["remaining_before"] == 0
    assert evaluation.awards == []


def test_only_rules_that_could_award_need_their_usage_counted() -> None:
    limited = [{"scope": "profile", "period": "day", "max_times": 1}]
    rules = [
        make_rule("rule_match", limits=limited),
        make_rule("rule_no_limits"),
        make_rule("rule_paused", status="paused", limits=limited),
        make_rule("rule_other_type", source={"event_type": "app.login"}, limits=limited),
        make_rule("rule_vip_only", conditions={"tag": "vip", "op": "exists"}, limits=limited),
    ]
    event = make_event()
    assert [r.id for r in rules_needing_usage(rules, event)] == ["rule_match"]
    dry = rules_needing_usage(rules, event, include_statuses=frozenset({"active", "paused"}))
    assert [r.id for r in dry] == ["rule_match", "rule_paused"]
    # Whatever usage the others would have had, evaluate gives the same answer without it.
    counted = {("rule_match", "profile:day"): Usage(1, 10)}
    everything = {**counted, **{(r.id, "profile:day"): Usage(1, 10) for r in rules}}
    assert run(rules, event, counted).awards == run(rules, event, everything).awards
