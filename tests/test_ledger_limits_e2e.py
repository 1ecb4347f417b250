"""Limits, periods, rewards and the ledger end to end over real HTTP, on SQLite and PostgreSQL.

Includes a second server whose program time zone is Europe/Brussels (INBOUND_TIMEZONE), started
the same way tests/conftest.py starts `server`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from api.ledger import MAX_BALANCE
from settings import load_settings
from storage.database import Database
from storage.ledger import add_entry
from tests.conftest import ADMIN_TOKEN, NO_DATE_BOUNDS, Server, free_port, serve
from tests.helpers import assert_error, create_connector, send, unique_email
from tests.test_rules_e2e import add_rule, balance, purchase

# --- a second server in another time zone ----------------------------------------------------


@pytest.fixture(scope="module")
def brussels(database_url: str) -> Iterator[Server]:
    """The real service with INBOUND_TIMEZONE=Europe/Brussels, on the same fresh database."""
    settings = load_settings(
        environ={},
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        host="127.0.0.1",
        port=free_port(),
        timezone="Europe/Brussels",
        **NO_DATE_BOUNDS,
    )
    with serve(settings) as running:
        yield running


@pytest.fixture(autouse=True)
def _brussels_ledger_adds_up(request: pytest.FixtureRequest) -> Iterator[None]:
    """The conftest check covers `server`; this one covers the Brussels server's tests."""
    yield
    if "brussels" in request.fixturenames and "server" not in request.fixturenames:
        check = request.getfixturevalue("brussels").admin.get("/api/ledger/check").json()
        assert check == {"ok": True, "mismatches": []}, check


# --- helpers ---------------------------------------------------------------------------------


def awards(response: httpx.Response) -> list[int]:
    result = response.json()["results"][0]
    assert result["status"] == "processed", result
    return [a["points"] for a in result["awards"]]


def outcomes(server: Server, response: httpx.Response, *names: str) -> dict[str, str]:
    """Rule name → outcome in the event's trace for the rules named (other tests' rules are there too)."""
    event_id = response.json()["results"][0]["eventId"]
    trace = server.admin.get(f"/api/events/{event_id}").json()["trace"]
    rules = next(step for step in trace if step["step"] == "rules")["rules"]
    return {r["name"]: r["outcome"] for r in rules if r["name"] in names}


def profile_id_of(server: Server, email: str) -> int:
    return int(server.admin.get("/api/profiles", params={"value": email}).json()["id"])


def concurrently(calls: list[Callable[[httpx.Client], Any]], server: Server) -> list[Any]:
    """Run every call at once, each on its own connection; re-raise the first failure."""
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []
    start = threading.Barrier(len(calls))

    def one(i: int) -> None:
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                start.wait()
                results[i] = calls[i](client)
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def existing_member(server: Server, connector: dict[str, Any]) -> str:
    """A member whose profile exists (an event on a far-away day that no rule here counts)."""
    email = unique_email()
    warm = send(server.client, connector, purchase(email, f"warm-{email}", 0, at="2020-01-01T00:00:00Z"))
    assert warm.json()["results"][0]["status"] == "processed", warm.text
    return email


# --- max_points: cap and skip ----------------------------------------------------------------


def test_max_points_caps_or_skips(server: Server) -> None:
    connector = create_connector(server.admin)
    add_rule(
        server,
        connector,
        name="cap",
        priority=10,
        conditions={"counter": "amount", "op": "gt", "value": 0},
        reward={"points_per_unit": {"counter": "amount"}},
        limits=[{"scope": "profile", "period": "day", "max_points": 100}],
    )
    add_rule(
        server,
        connector,
        name="skip",
        priority=5,
        conditions={"counter": "amount", "op": "gt", "value": 0},
        reward={"fixed": 30},
        limits=[{"scope": "profile", "period": "day", "max_points": 50, "when_exceeded": "skip"}],
    )
    email = unique_email()
    assert awards(send(server.client, connector, purchase(email, "1", 60))) == [60, 30]
    second = send(server.client, connector, purchase(email, "2", 60, at="2026-11-20T11:00:00Z"))
    assert awards(second) == [40]  # capped to the 40 left; 30 > the 20 left is skipped
    assert outcomes(server, second, "cap", "skip") == {"cap": "capped", "skip": "limit_reached"}
    third = send(server.client, connector, purchase(email, "3", 60, at="2026-11-20T12:00:00Z"))
    assert awards(third) == []
    assert outcomes(server, third, "cap", "skip") == {"cap": "limit_reached", "skip": "limit_reached"}
    assert awards(send(server.client, connector, purchase(email, "4", 60, at="2026-11-21T00:00:00Z"))) == [
        60,
        30,
    ]
    assert balance(server, email) == 220


# --- rolling windows -------------------------------------------------------------------------


def test_rolling_windows_look_both_ways_around_the_event(server: Server) -> None:
    connector = create_connector(server.admin)
    add_rule(
        server,
        connector,
        name="once in 24 hours",
        reward={"fixed": 10},
        limits=[{"scope": "profile", "rolling_hours": 24, "max_times": 1}],
    )
    email = unique_email()

    def at(event_id: str, when: str) -> list[int]:
        return awards(send(server.client, connector, purchase(email, event_id, 1, at=when)))

    assert at("r1", "2026-11-20T10:00:00Z") == [10]
    assert at("r2", "2026-11-21T09:59:59Z") == []  # 23:59:59 later
    assert at("r3", "2026-11-21T10:00:01Z") == [10]  # 24 hours and a second later
    assert at("r4", "2026-11-20T22:00:00Z") == []  # backdated between r1 and r3: both are near
    assert at("r5", "2026-11-19T09:00:00Z") == [10]  # 25 hours before r1
    assert balance(server, email) == 30


def test_rolling_days_with_max_points(server: Server) -> None:
    connector = create_connector(server.admin)
    add_rule(
        server,
        connector,
        name="25 points in any 2 days",
        reward={"points_per_unit": {"counter": "amount"}},
        limits=[{"scope": "profile", "rolling_days": 2, "max_points": 25}],
    )
    email = unique_email()
    assert awards(send(server.client, connector, purchase(email, "d1", 20, at="2026-11-01T10:00:00Z"))) == [
        20
    ]
    assert awards(send(server.client, connector, purchase(email, "d2", 20, at="2026-11-03T09:00:00Z"))) == [5]
    # 48 hours after d1 it has left the window, but d2 (5) has not.
    assert awards(send(server.client, connector, purchase(email, "d3", 30, at="2026-11-03T10:00:01Z"))) == [
        20
    ]


# --- calendar periods ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "first", "next_period", "same_period"),
    [
        # 2026-11-22 is a Sunday: weeks start on Monday.
        ("week", "2026-11-22T23:59:59Z", "2026-11-23T00:00:00Z", "2026-11-29T23:59:59Z"),
        ("month", "2026-11-30T23:59:59Z", "2026-12-01T00:00:00Z", "2026-12-31T23:59:59Z"),
        ("year", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z", "2027-12-31T12:00:00Z"),
    ],
)
def test_calendar_periods_turn_at_midnight(
    server: Server, period: str, first: str, next_period: str, same_period: str
) -> None:
    connector = create_connector(server.admin)
    add_rule(
        server,
        connector,
        name=f"once a {period}",
        reward={"fixed": 1},
        limits=[{"scope": "profile", "period": period, "max_times": 1}],
    )
    email = unique_email()
    assert awards(send(server.client, connector, purchase(email, "p1", 1, at=first))) == [1]
    assert awards(send(server.client, connector, purchase(email, "p2", 1, at=next_period))) == [1]
    assert awards(send(server.client, connector, purchase(email, "p3", 1, at=same_period))) == []


# --- the program's time zone -----------------------------------------------------------------


def test_days_turn_at_midnight_in_the_program_time_zone(brussels: Server, server: Server) -> None:
    daily = [{"scope": "profile", "period": "day", "max_times": 1}]
    times = ["2026-11-20T22:30:00Z", "2026-11-20T23:30:00Z", "2026-11-21T22:00:00Z"]
    # Brussels (UTC+1): 23:30 on the 20th, 00:30 on the 21st, 23:00 on the 21st.
    con = create_connector(brussels.admin)
    add_rule(brussels, con, name="daily", reward={"fixed": 1}, limits=daily)
    email = unique_email()
    got = [awards(send(brussels.client, con, purchase(email, f"b{i}", 1, at=t))) for i, t in enumerate(times)]
    assert got == [[1], [1], []]
    # The same events in UTC: the first two fall on the same day, the third on the next.
    con = create_connector(server.admin)
    add_rule(server, con, name="daily", reward={"fixed": 1}, limits=daily)
    email = unique_email()
    got = [awards(send(server.client, con, purchase(email, f"u{i}", 1, at=t))) for i, t in enumerate(times)]
    assert got == [[1], [], [1]]


def test_the_day_the_clocks_go_back_has_25_hours(brussels: Server) -> None:
    con = create_connector(brussels.admin)
    add_rule(
        brussels,
        con,
        name="daily",
        reward={"fixed": 1},
        limits=[{"scope": "profile", "period": "day", "max_times": 1}],
    )
    email = unique_email()
    # 25 October 2026 in Brussels runs from 24 Oct 22:00Z (CEST) to 25 Oct 23:00Z (CET).
    assert awards(send(brussels.client, con, purchase(email, "k1", 1, at="2026-10-24T22:30:00Z"))) == [1]
    assert awards(send(brussels.client, con, purchase(email, "k2", 1, at="2026-10-25T22:30:00Z"))) == []
    assert awards(send(brussels.client, con, purchase(email, "k3", 1, at="2026-10-25T23:00:00Z"))) == [1]


def test_weeks_and_months_turn_in_the_program_time_zone(brussels: Server) -> None:
    con = create_connector(brussels.admin)
    add_rule(
        brussels,
        con,
        name="weekly",
        priority=2,
        reward={"fixed": 1},
        limits=[{"scope": "profile", "period": "week", "max_times": 1}],
    )
    add_rule(
        brussels,
        con,
        name="monthly",
        priority=1,
        reward={"fixed": 100},
        limits=[{"scope": "profile", "period": "month", "max_times": 1}],
    )
    email = unique_email()
    # Sunday 29 Nov 23:30 Brussels, then Monday 30 Nov 00:30 Brussels (still Sunday in UTC).
    assert awards(send(brussels.client, con, purchase(email, "w1", 1, at="2026-11-29T22:30:00Z"))) == [1, 100]
    assert awards(send(brussels.client, con, purchase(email, "w2", 1, at="2026-11-29T23:30:00Z"))) == [1]
    # 1 December 00:30 in Brussels is still 30 November in UTC: a new month here.
    assert awards(send(brussels.client, con, purchase(email, "w3", 1, at="2026-11-30T23:30:00Z"))) == [100]


# --- whole-rule limits, negative awards, multipliers -----------------------------------------


def test_whole_rule_max_points_is_a_budget_for_everyone(server: Server) -> None:
    connector = create_connector(server.admin)
    add_rule(
        server,
        connector,
        name="campaign budget 50",
        reward={"fixed": 20},
        limits=[{"scope": "rule", "period": "ever", "max_points": 50}],
    )
    got = [awards(send(server.client, connector, purchase(unique_email(), f"m{i}", 1))) for i in range(4)]
    assert got == [[20], [20], [10], []]


def test_negative_awards_give_max_points_room_back(server: Server) -> None:
    connector = create_connector(server.admin)
    add_rule(
        server,
        connector,
        name="spend, 100 a month",
        reward={"points_per_unit": {"counter": "amount"}},
        limits=[{"scope": "profile", "period": "month", "max_points": 100}],
    )
    email = unique_email()
    assert awards(send(server.client, connector, purchase(email, "n1", 80))) == [80]
    assert awards(send(server.client, connector, purchase(email, "n2", -50))) == [-50]  # never held back
    assert awards(send(server.client, connector, purchase(email, "n3", 100))) == [70]  # 100 - (80 - 50)
    assert balance(server, email) == 100


def test_multiplier_and_negative_point_rules(server: Server) -> None:
    connector = create_connector(server.admin)
    order = {"tag": "kind", "op": "eq", "value": "order"}
    add_rule(
        server,
        connector,
        name="base",
        priority=10,
        conditions=order,
        reward={"points_per_unit": {"counter": "amount"}},
    )
    add_rule(server, connector, name="bonus", priority=5, conditions=order, reward={"fixed": 5})
    add_rule(
        server,
        connector,
        name="x1.5",
        priority=-10,
        conditions=order,
        reward={"multiplier": {"factor": 1.5, "rounding": "floor", "cap": 30}},
    )
    add_rule(
        server,
        connector,
        name="refund",
        conditions={"tag": "kind", "op": "eq", "value": "refund"},
        reward={"points_per_unit": {"counter": "amount", "points": -1, "rounding": "round"}},
    )
    email = unique_email()
    first = send(server.client, connector, purchase(email, "o1", 40, kind="order"))
    assert [(a["name"], a["points"]) for a in first.json()["results"][0]["awards"]] == [
        ("base", 40),
        ("bonus", 5),
        ("x1.5", 22),  # 45 × 0.5 = 22.5, floor
    ]
    assert awards(send(server.client, connector, purchase(email, "o2", 100, kind="order"))) == [100, 5, 30]
    refund = send(server.client, connector, purchase(email, "o3", 19.5, kind="refund"))
    assert awards(refund) == [-20]  # halves round away from zero
    assert outcomes(server, refund, "x1.5") == {"x1.5": "not_matched"}
    assert balance(server, email) == 67 + 135 - 20


# --- the ledger ------------------------------------------------------------------------------


def test_ledger_pages_newest_first_with_limit_and_before(server: Server) -> None:
    connector = create_connector(server.admin)
    add_rule(server, connector, name="one each", reward={"fixed": 1})
    email = unique_email()
    for i in range(7):
        send(server.client, connector, purchase(email, f"l{i}", 1))
    profile_id = profile_id_of(server, email)
    url = f"/api/profiles/{profile_id}/ledger"
    pages, before = [], None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"before": before} if before else {})}
        body = server.admin.get(url, params=params).json()
        pages.append([e["id"] for e in body["items"]])
        assert body["balance"] == 7 and body["lifetimePoints"] == 7
        before = body["next"]
        if before is None:
            break
    assert [len(p) for p in pages] == [3, 3, 1]
    ids = [i for p in pages for i in p]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 7
    everything = server.admin.get(url, params={"limit": 500}).json()
    assert [e["id"] for e in everything["items"]] == ids and everything["next"] is None
    assert_error(server.admin.get(url, params={"limit": 0}), 422, "invalid_parameter", "limit")
    assert_error(server.admin.get(url, params={"limit": 501}), 422, "invalid_parameter", "limit")


def test_concurrent_adjustments_mixed_with_events(server: Server) -> None:
    connector = create_connector(server.admin)
    add_rule(
        server,
        connector,
        name="10 a day, 50 at most",
        reward={"fixed": 10},
        limits=[{"scope": "profile", "period": "day", "max_points": 50}],
    )
    email = existing_member(server, connector)  # 10 points in 2020
    profile_id = profile_id_of(server, email)

    def event(i: int) -> Callable[[httpx.Client], Any]:
        return lambda client: send(client, connector, purchase(email, f"mix{i}", 1)).json()["results"][0]

    def adjustment(points: int) -> Callable[[httpx.Client], Any]:
        body = {"points": points, "reason": "goodwill", "admin": "marie"}
        return lambda client: (
            client.post(
                f"/api/profiles/{profile_id}/adjustments", json=body, headers=server.admin.headers
            ).status_code
        )

    calls = [event(i) for i in range(10)] + [adjustment(3 if i % 2 else -1) for i in range(10)]
    results = concurrently(calls, server)
    assert results[10:] == [201] * 10
    assert sum(a["points"] for r in results[:10] for a in r["awards"]) == 50  # adjustments never count
    assert balance(server, email) == 10 + 50 + 5 * 3 - 5


def test_the_balance_check_is_one_snapshot_under_concurrent_ingestion(server: Server) -> None:
    connector = create_connector(server.admin)
    add_rule(server, connector, name="each", reward={"fixed": 3})
    members = [existing_member(server, connector) for _ in range(4)]
    stop = threading.Event()
    sent: list[int] = []

    def traffic(email: str, lane: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            n = 0
            while not stop.is_set():
                send(client, connector, purchase(email, f"snap{lane}-{n}", 1))
                n += 1
            sent.append(n)

    threads = [threading.Thread(target=traffic, args=(m, lane)) for m in members for lane in range(2)]
    for thread in threads:
        thread.start()
    checks = []
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            checks.append(server.admin.get("/api/ledger/check").json())
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert sum(sent) > 20 and len(checks) > 10, (sent, len(checks))
    bad = [c for c in checks if not c["ok"]]
    assert not bad, bad[:3]


# --- bounds ----------------------------------------------------------------------------------


def test_huge_adjustments_are_refused_with_the_field_and_value(server: Server) -> None:
    connector = create_connector(server.admin)
    email = existing_member(server, connector)
    url = f"/api/profiles/{profile_id_of(server, email)}/adjustments"

    def adjust(points: int) -> httpx.Response:
        return server.admin.post(url, json={"points": points, "reason": "test", "admin": "marie"})

    assert_error(adjust(10**20), 422, "invalid_adjustment", "points: 100000000000000000000", "1000000000")
    assert_error(adjust(-(10**9) - 1), 422, "invalid_adjustment", "points: -1000000001")
    # Past 32 bits: the ledger is 64-bit on both backends.
    for _ in range(3):
        assert adjust(10**9).status_code == 201
    assert adjust(-(10**9)).json()["balance"] == 2 * 10**9
    assert server.admin.get(url.replace("/adjustments", "")).json()["balance"] == 2 * 10**9


async def test_an_adjustment_past_the_largest_exact_balance_is_refused(server: Server) -> None:
    connector = create_connector(server.admin)
    email = existing_member(server, connector)
    profile_id = profile_id_of(server, email)
    before = server.admin.get(f"/api/profiles/{profile_id}").json()["balance"]
    # Bring the balance near the bound with a real entry (an admin API call can move 10^9 at most).
    db = Database(server.database_url)
    try:
        async with db.write() as conn:
            await add_entry(
                conn,
                {
                    "profile_id": profile_id,
                    "points": MAX_BALANCE - before - 5,
                    "kind": "adjustment",
                    "reason": "set-up",
                    "admin": "test",
                    "test": False,
                    "occurred_at": datetime.now(UTC),
                    "created_at": datetime.now(UTC),
                },
            )
    finally:
        await db.dispose()
    url = f"/api/profiles/{profile_id}/adjustments"
    refused = server.admin.post(url, json={"points": 6, "reason": "test", "admin": "marie"})
    assert_error(refused, 422, "invalid_adjustment", "points: 6", str(MAX_BALANCE))
    accepted = server.admin.post(url, json={"points": 5, "reason": "test", "admin": "marie"})
    assert accepted.status_code == 201 and accepted.json()["balance"] == MAX_BALANCE


@pytest.mark.parametrize(
    ("reward", "message"),
    [
        ({"fixed": 10**20}, "reward.fixed: 100000000000000000000 must be between -1000000000 and 1000000000"),
        ({"fixed": {"points": -(10**10)}}, "reward.fixed.points: -10000000000 must be between"),
        (
            {"points_per_unit": {"counter": "amount", "points": 1e10}},
            "reward.points_per_unit.points: 10000000000 must be between",
        ),
        (
            {"points_per_unit": {"counter": "amount", "cap": 10**10}},
            "reward.points_per_unit.cap: 10000000000",
        ),
        ({"multiplier": 10**6}, "reward.multiplier: 1000000 must be at most 1000"),
        (
            {"multiplier": {"factor": 2, "cap": 10**12}},
            "reward.multiplier.cap: 1000000000000 must be at most",
        ),
    ],
)
def test_rules_that_could_overflow_the_ledger_are_refused(
    server: Server, reward: dict[str, Any], message: str
) -> None:
    body = {"name": "huge", "reward": reward}
    assert_error(server.admin.post("/api/rules", json=body), 422, "invalid_rule", message)


def test_a_wild_counter_is_clamped_not_an_error(server: Server) -> None:
    connector = create_connector(server.admin)
    add_rule(server, connector, name="per unit", reward={"points_per_unit": {"counter": "amount"}})
    email = unique_email()
    assert awards(send(server.client, connector, purchase(email, "big", 1e15))) == [10**9]
    assert balance(server, email) == 10**9


# --- rule edits ------------------------------------------------------------------------------


def test_a_patch_that_changes_nothing_makes_no_version(server: Server) -> None:
    source = {"connector": create_connector(server.admin)["id"]}  # never "any": dry runs show drafts
    body = {"name": "same", "reward": {"fixed": 5}, "priority": 3, "source": source}
    rule = server.admin.post("/api/rules", json=body).json()
    url = f"/api/rules/{rule['id']}"
    for change in ({}, {"priority": 3}, {"reward": {"fixed": {"points": 5}}}, {"name": "same", "limits": []}):
        answer = server.admin.patch(url, json=change)
        assert answer.status_code == 200 and answer.json()["version"] == 1, (change, answer.text)
    assert server.admin.patch(url, json={"priority": 4}).json()["version"] == 2
    assert [v["version"] for v in server.admin.get(f"{url}/versions").json()["items"]] == [1, 2]


def test_concurrent_patches_of_one_rule_lose_nothing(server: Server) -> None:
    source = {"connector": create_connector(server.admin)["id"]}
    body = {"name": "base", "reward": {"fixed": 5}, "source": source}
    rule = server.admin.post("/api/rules", json=body).json()
    url = f"/api/rules/{rule['id']}"
    changes: list[dict[str, Any]] = [
        {"name": "renamed"},
        {"description": "edited concurrently"},
        {"priority": 7},
        {"stop": True},
        {"active_from": "2026-01-01T00:00:00Z"},
        {"active_until": "2027-01-01T00:00:00Z"},
        {"conditions": {"tag": "channel", "op": "eq", "value": "web"}},
        {"limits": [{"scope": "profile", "period": "day", "max_times": 1}]},
        {"status": "paused"},
    ]

    def patch(change: dict[str, Any]) -> Callable[[httpx.Client], Any]:
        return lambda client: client.patch(url, json=change, headers=server.admin.headers).status_code

    assert concurrently([patch(c) for c in changes], server) == [200] * len(changes)
    final = server.admin.get(url).json()
    for change in changes:
        for key, value in change.items():
            assert final[key] == value, (key, final[key], value)
    assert final["version"] == 1 + len(changes)
    versions = server.admin.get(f"{url}/versions").json()["items"]
    assert [v["version"] for v in versions] == list(range(1, len(changes) + 2))


# --- duplicates ------------------------------------------------------------------------------


def test_a_duplicate_answers_with_the_first_outcome_in_the_same_shape(server: Server) -> None:
    connector = create_connector(server.admin)
    add_rule(server, connector, name="base", priority=2, reward={"fixed": 5})
    add_rule(server, connector, name="x2", priority=1, reward={"multiplier": 2})
    email = unique_email()
    first = send(server.client, connector, purchase(email, "dup", 1)).json()["results"][0]
    assert [a["name"] for a in first["awards"]] == ["base", "x2"]
    for repeat in (purchase(email, "dup", 1), purchase(email, "dup", 999)):
        again = send(server.client, connector, repeat).json()["results"][0]
        assert again["status"] == "duplicate"
        assert again["first"]["eventId"] == first["eventId"]
        assert again["first"]["awards"] == first["awards"]
        assert again["first"]["balance"] == first["balance"] == 10
    # Without a clientEventId, an identical event is a duplicate too, with the same answer.
    body = {"email": email, "at": "2026-11-20T10:00:00Z", "tags": {"page": "home"}}
    original = send(server.client, connector, body).json()["results"][0]
    same = send(server.client, connector, body).json()["results"][0]
    assert same["status"] == "duplicate"
    assert same["first"]["awards"] == original["awards"] and same["first"]["balance"] == original["balance"]


# --- the balance check also proves lifetime points -------------------------------------------


async def test_the_check_names_a_lifetime_that_is_not_the_sum_of_positive_entries(db: Any) -> None:
    """Lifetime is what `move_balance` adds: the positive entries only (a refund never lowers it)."""
    from datetime import UTC, datetime

    from storage.ledger import balances, entries, mismatched_balances
    from storage.profiles import profiles

    now = datetime.now(UTC)
    async with db.engine.connect() as conn:
        transaction = await conn.begin()
        try:  # written, checked and rolled back: the shared test database is left as it was
            profile_id = (
                await conn.execute(
                    profiles.insert()
                    .values(kind="default", value=unique_email(), test=False, created_at=now)
                    .returning(profiles.c.id)
                )
            ).scalar_one()
            for points in (50, -20):
                await conn.execute(
                    entries.insert().values(
                        profile_id=profile_id,
                        points=points,
                        kind="adjustment",
                        reason="x",
                        admin="m",
                        test=False,
                        occurred_at=now,
                        created_at=now,
                    )
                )
            row = {"profile_id": profile_id, "test": False, "balance": 30, "updated_at": now}
            await conn.execute(balances.insert().values(**row, lifetime=50))
            assert [p for p in await mismatched_balances(conn) if p["profileId"] == profile_id] == []
            await conn.execute(
                balances.update().where(balances.c.profile_id == profile_id).values(lifetime=30)
            )
            assert [p for p in await mismatched_balances(conn) if p["profileId"] == profile_id] == [
                {
                    "profileId": profile_id,
                    "test": False,
                    "balance": 30,
                    "sumOfEntries": 30,
                    "lifetime": 30,
                    "sumOfPositiveEntries": 50,
                }
            ]
        finally:
            await transaction.rollback()


def test_one_batch_counts_each_members_limit_and_the_whole_rules_limit(server: Server) -> None:
    """One batch is judged in one write group: each award counts at once against the windows of
    its member and of the whole rule, and against no other member's."""
    connector = create_connector(server.admin)
    add_rule(
        server,
        connector,
        name="Two a day each, three in all",
        reward={"fixed": 10},
        limits=[
            {"scope": "profile", "period": "day", "max_times": 2},
            {"scope": "rule", "period": "ever", "max_times": 3},
        ],
    )
    ann, bob = unique_email("ann"), unique_email("bob")
    batch = [purchase(ann, f"a{i}", 5) for i in range(3)] + [purchase(bob, f"b{i}", 5) for i in range(3)]
    answer = send(server.client, connector, batch)
    assert answer.status_code == 200, answer.text
    points = [sum(a["points"] for a in r["awards"]) for r in answer.json()["results"]]
    # Ann: two (her day's limit), Bob: one (the rule's three are used up), in arrival order.
    assert points == [10, 10, 0, 10, 0, 0], points
    assert (balance(server, ann), balance(server, bob)) == (20, 10)
