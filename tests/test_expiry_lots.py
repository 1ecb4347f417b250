"""Points expiry, the pure part: policies (across a daylight-saving change) and lots taken oldest
first, reversals from their own award, refunds given back with their own expiry, debts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.models.points import ExpiryPolicyInput
from api.validation import read_input
from errors import InvalidInput
from expiry.lots import Entry, allocate
from expiry.policy import Policy

BRUSSELS = ZoneInfo("Europe/Brussels")


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_month_and_year_ends_are_local_midnights_across_a_dst_change() -> None:
    earned = datetime(2026, 10, 20, 12, tzinfo=UTC)  # summer time (UTC+2) until 25 October
    month_end = Policy("end_of_month", 1).expires_at(earned, BRUSSELS)
    assert month_end == datetime(2026, 11, 30, 23, tzinfo=UTC)  # 1 December 00:00 in winter time (UTC+1)
    assert month_end.astimezone(BRUSSELS).hour == 0
    assert Policy("end_of_month", 0).expires_at(earned, BRUSSELS) == datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert Policy("end_of_year", 1).expires_at(earned, BRUSSELS) == datetime(2027, 12, 31, 23, tzinfo=UTC)
    assert Policy("days", 30).expires_at(earned, BRUSSELS) == earned + timedelta(days=30)
    assert Policy().expires_at(earned, BRUSSELS) is None
    december = datetime(2026, 12, 15, tzinfo=UTC)
    assert Policy("end_of_month", 1).expires_at(december, BRUSSELS) == datetime(2027, 1, 31, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"kind": "weeks"}, 'kind: "weeks" is not one of never, days, end_of_month, end_of_year'),
        ({"kind": "days"}, "days: is required: a whole number from 1 to 36500"),
        ({"kind": "days", "days": None}, "days: is required: a whole number from 1 to 36500"),
        ({"kind": "never", "years": 2}, "years: unknown field; never takes no amount"),
        ({"kind": "days", "days": "365"}, 'days: "365" must be a whole number from 1 to 36500, or null'),
        ({"kind": "days", "days": 0}, "days: 0 must be a whole number"),
        ({"kind": "end_of_month", "days": 3}, "days: unknown field; end_of_month takes months"),
        ([], "body: expected an object"),
    ],
)
def test_bad_policies_are_named(body: object, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem.replace("(", r"\(")):
        read_input(ExpiryPolicyInput, body, code="invalid_expiry_policy")


def entry(id_: int, points: int, when: str, kind: str = "award", reverses: int | None = None) -> Entry:
    return Entry(id_, points, kind, at(when), at(when), reverses)


def test_spending_takes_the_points_that_expire_soonest() -> None:
    policy = Policy("days", 100)
    lots = allocate(
        [entry(1, 50, "2026-01-01"), entry(2, 30, "2026-02-01"), entry(3, -60, "2026-03-01", "purchase")],
        policy,
        UTC,
    )
    assert [(lot.entry_id, lot.remaining) for lot in lots.open] == [(2, 20)]
    assert lots.total == 20
    assert lots.expired_by(at("2026-05-15")) == {at("2026-05-12"): 20}


def test_a_reversal_takes_from_its_own_award_and_a_refund_keeps_the_old_expiry() -> None:
    policy = Policy("days", 100)
    lots = allocate(
        [
            entry(1, 50, "2026-01-01"),
            entry(2, 30, "2026-02-01"),
            entry(3, -30, "2026-02-02", "reversal", reverses=2),
            entry(4, -40, "2026-03-01", "purchase"),
            entry(5, 40, "2026-04-20", "refund"),
        ],
        policy,
        UTC,
        refunds={5: 4},
    )
    # The refund reopens the 40 points the purchase had taken, expiring with entry 1 (11 April).
    assert [(lot.entry_id, lot.expires_at, lot.remaining) for lot in lots.open] == [
        (1, at("2026-04-11"), 10),
        (5, at("2026-04-11"), 40),
    ]
    assert lots.expired_by(at("2026-04-21")) == {at("2026-04-11"): 50}


def test_expiry_entries_take_what_expired_and_a_second_one_is_a_problem() -> None:
    policy = Policy("days", 10)
    ok = allocate([entry(1, 50, "2026-01-01"), entry(2, -50, "2026-01-11", "expiry")], policy, UTC)
    assert ok.open == [] and ok.problems == [] and ok.total == 0
    twice = allocate(
        [
            entry(1, 50, "2026-01-01"),
            entry(2, 20, "2026-01-05"),
            entry(3, -50, "2026-01-11", "expiry"),
            entry(4, -50, "2026-01-11", "expiry"),
        ],
        policy,
        UTC,
    )
    assert twice.problems and "took 50 points but only 0 had expired" in twice.problems[0]
    assert twice.total == -30  # still the sum of the entries


def test_a_debt_is_paid_by_the_next_points_earned() -> None:
    lots = allocate(
        [entry(1, -20, "2026-01-01", "adjustment"), entry(2, 50, "2026-01-02")], Policy("days", 10), UTC
    )
    assert lots.debt == 0 and [(lot.entry_id, lot.remaining) for lot in lots.open] == [(2, 30)]


@pytest.mark.parametrize(
    "policy",
    [Policy("days", 30), Policy("end_of_month", 0), Policy("end_of_month", 2), Policy("end_of_year", 1)],
)
def test_earned_before_is_exactly_where_expiry_falls_due(policy: Policy) -> None:
    now = datetime(2027, 3, 29, 0, 30, tzinfo=UTC)  # two days after a DST change in Brussels
    cutoff = policy.earned_before(now, BRUSSELS)
    assert cutoff is not None
    just_before, at_cutoff = cutoff - timedelta(microseconds=1), cutoff
    expired = policy.expires_at(just_before, BRUSSELS)
    assert expired is not None and expired <= now
    later = policy.expires_at(at_cutoff, BRUSSELS)
    assert later is not None and later > now


def test_the_apis_amounts_are_the_policys() -> None:
    from expiry.policy import AMOUNTS

    schema = ExpiryPolicyInput.model_json_schema(by_alias=True)["properties"]
    for field, low, high in AMOUNTS.values():
        bounds = schema[field]["anyOf"][0]
        assert (bounds["minimum"], bounds["maximum"]) == (low, high), field
