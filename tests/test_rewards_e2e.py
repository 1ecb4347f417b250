"""The rewards catalog, purchases, cancellations and a rule's reward reaction end to end, on SQLite
and PostgreSQL; parallel purchases never overdraw a balance or oversell the stock. A database
per test: a rule listening to PURCHASED_REWARD would react to every other test's purchases."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, unique_email
from tests.test_webhooks_e2e import _server, fresh_url  # noqa: F401 - the fixture

AT = "2026-12-01T10:00:00Z"


@pytest.fixture
def running(fresh_url: str) -> Iterator[Server]:  # noqa: F811
    with _server(fresh_url) as server:
        yield server
        check = server.admin.get("/api/ledger/check").json()
        assert check == {"ok": True, "mismatches": []}, check


def _reward(server: Server, name: str, **body: Any) -> dict[str, Any]:
    answer = server.admin.post("/api/rewards", json={"name": name, **body})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _member(server: Server, points: int = 0) -> int:
    created = server.admin.post(
        "/api/members", json={"identities": [{"kind": "email", "value": unique_email()}]}
    )
    assert created.status_code == 201, created.text
    member_id = int(created.json()["id"])
    if points:
        given = server.admin.post(
            f"/api/profiles/{member_id}/adjustments",
            json={"points": points, "reason": "seed", "admin": "test"},
        )
        assert given.status_code == 201, given.text
    return member_id


def _buy(client: httpx.Client, member_id: int, reward_id: str) -> httpx.Response:
    return client.post(f"/api/members/{member_id}/reward-purchases", json={"reward": reward_id})


def _member_json(server: Server, member_id: int) -> dict[str, Any]:
    return dict(server.admin.get(f"/api/members/{member_id}").json())


def test_a_purchase_spends_points_and_issues_a_code(running: Server) -> None:
    coffee = _reward(running, "Free coffee", cost=30, stock=2, description="Any size")
    assert coffee["status"] == "active" and coffee["issued"] == 0
    member_id = _member(running, 100)
    bought = _buy(running.admin, member_id, coffee["id"])
    assert bought.status_code == 201, bought.text
    issued = bought.json()
    assert issued["status"] == "issued" and issued["code"].startswith("RW-") and issued["cost"] == 30
    assert issued["balance"] == 70 and issued["source"] == "purchase"
    assert (
        issued["followedBy"]["type"] == "PURCHASED_REWARD" and issued["followedBy"]["status"] == "processed"
    )
    ledger = running.admin.get(f"/api/profiles/{member_id}/ledger").json()["items"]
    spend = next(e for e in ledger if e["id"] == issued["spendEntryId"])
    assert spend["points"] == -30 and spend["kind"] == "purchase"
    assert _buy(running.admin, member_id, coffee["id"]).status_code == 201
    assert running.admin.get(f"/api/rewards/{coffee['id']}").json()["stock"] == 0
    assert_error(
        _buy(running.admin, member_id, coffee["id"]), 409, "out_of_stock", "'Free coffee' is out of stock"
    )
    trip = _reward(running, "Trip", cost=1000)
    assert_error(
        _buy(running.admin, member_id, trip["id"]), 409, "insufficient_points",
        f"reward 'Trip' costs 1000 points; member {member_id} has 40",
    )  # fmt: skip
    assert _member_json(running, member_id)["balance"] == 40  # nothing was written by the refusals
    mine = running.admin.get(f"/api/members/{member_id}/rewards").json()["items"]
    assert [r["name"] for r in mine] == ["Free coffee", "Free coffee"]


def test_cancel_refunds_and_redeem_marks_used(running: Server) -> None:
    mug = _reward(running, "Mug", cost=25, stock=5)
    member_id = _member(running, 50)
    first = _buy(running.admin, member_id, mug["id"]).json()
    second = _buy(running.admin, member_id, mug["id"]).json()
    before = _member_json(running, member_id)
    cancelled = running.admin.post(f"/api/issued-rewards/{first['id']}/cancel", json={"note": "changed mind"})
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled" and body["balance"] == 25 and body["refundEntryId"]
    assert [h["status"] for h in body["history"]] == ["issued", "cancelled"] and body["history"][1][
        "note"
    ] == "changed mind"
    after = _member_json(running, member_id)
    assert after["lifetimePoints"] == before["lifetimePoints"]  # a refund gives back, it does not earn
    assert running.admin.get(f"/api/rewards/{mug['id']}").json()["stock"] == 4  # one back
    assert_error(
        running.admin.post(f"/api/issued-rewards/{first['id']}/cancel"),
        409,
        "reward_not_issued",
        "is cancelled",
    )
    redeemed = running.admin.post(f"/api/issued-rewards/{second['id']}/redeem", json={"note": "shop 12"})
    assert redeemed.json()["status"] == "redeemed"
    assert_error(
        running.admin.post(f"/api/issued-rewards/{second['id']}/cancel"), 409, "reward_not_issued", "redeemed"
    )
    assert_error(running.admin.get("/api/issued-rewards/999999"), 404, "unknown_issued_reward")


def test_per_member_limits_windows_and_mistakes(running: Server) -> None:
    monthly = _reward(running, "Monthly treat", cost=1, limit={"max": 1, "period": "month"})
    member_id = _member(running, 10)
    assert _buy(running.admin, member_id, monthly["id"]).status_code == 201
    assert_error(
        _buy(running.admin, member_id, monthly["id"]), 409, "limit_reached",
        f"member {member_id} already has 1 of reward 'Monthly treat', the most one member may have per month",
    )  # fmt: skip
    later = _reward(running, "Summer", cost=1, availableFrom="2099-06-01T00:00:00+02:00")
    assert_error(
        _buy(running.admin, member_id, later["id"]), 409, "reward_unavailable", "available from 2099-05-31"
    )
    paused = running.admin.patch(f"/api/rewards/{monthly['id']}", json={"status": "paused"}).json()
    assert paused["status"] == "paused"
    post = running.admin.post
    assert_error(post("/api/rewards", json={"name": "x"}), 422, "invalid_reward", "cost: is required")
    assert_error(
        post("/api/rewards", json={"name": "x", "cost": -5}),
        422,
        "invalid_reward",
        "cost: -5 must be a whole number",
    )
    fortnight = {"name": "x", "cost": 1, "limit": {"max": 1, "period": "fortnight"}}
    assert_error(
        post("/api/rewards", json=fortnight),
        422,
        "invalid_reward",
        'limit.period: "fortnight" is not one of day, week, month, year, ever',
    )
    assert_error(post("/api/rewards", json={"name": "x", "cost": 1, "availableFrom": "tomorrow"}),
                 422, "invalid_reward", 'availableFrom: "tomorrow" must be a time')  # fmt: skip
    assert_error(post("/api/rewards", json={"name": "Summer", "cost": 1}), 409, "reward_name_taken")
    assert_error(
        post(f"/api/members/{member_id}/reward-purchases", json={"reward": "rwd_nope"}), 404, "unknown_reward"
    )
    assert_error(
        post(f"/api/members/{member_id}/reward-purchases", json={"rewrd": "x"}),
        422,
        "invalid_reward_request",
        "rewrd: unknown field",
    )
    assert_error(
        post("/api/members/999999/reward-purchases", json={"reward": later["id"]}), 404, "unknown_member"
    )
    nul = post(f"/api/members/{member_id}/reward-purchases", json={"reward": "r\u0000"})
    assert_error(nul, 422, "invalid_reward_request", "reward:")


def test_purchased_reward_is_an_event_rules_react_to(running: Server) -> None:
    hoodie = _reward(running, "Hoodie", cost=40)
    rule = {"name": "Thanks for buying", "status": "active", "source": {"event_type": "PURCHASED_REWARD"},
            "reward": {"fixed": 5}}  # fmt: skip
    assert running.admin.post("/api/rules", json=rule).status_code == 201
    member_id = _member(running, 40)
    bought = _buy(running.admin, member_id, hoodie["id"]).json()
    assert [a["points"] for a in bought["followedBy"]["awards"]] == [5]
    assert _member_json(running, member_id)["balance"] == 5
    assert_error(
        running.client.post(
            "/events", json={"type": "PURCHASED_REWARD", "subject": {"kind": "email", "value": "a@b.c"}}
        ),
        403,
        "intrinsic_event_type",
    )


def test_a_rule_issues_a_reward_free_until_the_stock_runs_out(running: Server) -> None:
    sticker = _reward(running, "Sticker", cost=99, stock=1)
    connector = create_connector(running.admin)
    rule = {"name": "Sticker for an order", "status": "active", "source": {"connector": connector["id"]},
            "reward": {"fixed": 2}, "reactions": [{"reward": sticker["id"]}]}  # fmt: skip
    assert running.admin.post("/api/rules", json=rule).status_code == 201
    first = send(running.client, connector, {"id": "o-1", "email": unique_email(), "at": AT}).json()[
        "results"
    ][0]
    [done] = first["awards"][0]["reactions"]
    assert done["issued"] is True and done["code"].startswith("RW-")
    second = send(running.client, connector, {"id": "o-2", "email": unique_email(), "at": AT}).json()[
        "results"
    ][0]
    [none_left] = second["awards"][0]["reactions"]
    assert none_left["issued"] is False and "out of stock" in none_left["reason"]
    assert second["awards"][0]["points"] == 2
    [issued] = running.admin.get(f"/api/members/{first['profile']['id']}/rewards").json()["items"]
    assert issued["source"] == "rule" and issued["cost"] == 0 and issued["eventId"] == first["eventId"]
    assert_error(
        running.admin.post("/api/rules", json={"name": "r", "reactions": [{"reward": "rwd_nope"}]}),
        422, "invalid_rule", 'reactions[0].reward: "rwd_nope" is not a reward',
    )  # fmt: skip


def _in_parallel(calls: list[Any]) -> list[httpx.Response]:
    answers: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int) -> None:
        start.wait()
        answers[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


def test_parallel_purchases_never_overdraw_or_oversell(running: Server) -> None:
    headers = dict(running.admin.headers)
    with httpx.Client(base_url=running.url, headers=headers, timeout=60) as client:
        pricey = _reward(running, "Pricey", cost=30)
        rich = _member(running, 100)
        answers = _in_parallel([lambda: _buy(client, rich, pricey["id"]) for _ in range(8)])
        assert sorted(a.status_code for a in answers) == [201] * 3 + [409] * 5, [a.text for a in answers]
        assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {"insufficient_points"}
        assert _member_json(running, rich)["balance"] == 10

        scarce = _reward(running, "Scarce", cost=1, stock=3)
        members = [_member(running, 5) for _ in range(8)]
        answers = _in_parallel([lambda m=m: _buy(client, m, scarce["id"]) for m in members])
        assert sorted(a.status_code for a in answers) == [201] * 3 + [409] * 5, [a.text for a in answers]
        after = running.admin.get(f"/api/rewards/{scarce['id']}").json()
        assert after["stock"] == 0 and after["issued"] == 3
        codes = {a.json()["code"] for a in answers if a.status_code == 201}
        assert len(codes) == 3
