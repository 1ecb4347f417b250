"""Test data never mixes with live data; refunds add up; purges and replays are in the admin log.

End to end over real HTTP, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, token_of, unique_email

# SIMPLE_MAPPING plus `reverses`: {"reverses": "ord-1", "fraction": 0.5} makes a refund.
REFUND_MAPPING = """{
  "clientEventId": id,
  "profile": {"kind": "default", "value": email},
  "reverses": reverses ? {"clientEventId": reverses, "fraction": $exists(fraction) ? fraction : 1},
  "payload": {
    "timestamp": at,
    "tags": tags ? $each(tags, function($v, $k) {{"name": $k, "value": $v}}) : [],
    "counters": counters ? $each(counters, function($v, $k) {{"name": $k, "value": $v}}) : []
  }
}"""


def add_rule(server: Server, connector: dict[str, Any], **rule: Any) -> dict[str, Any]:
    body = {"status": "active", "source": {"connector": connector["id"]}, **rule}
    response = server.admin.post("/api/rules", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def refund_connector(server: Server, **overrides: Any) -> dict[str, Any]:
    return create_connector(server.admin, mapping=REFUND_MAPPING, testSecret=True, **overrides)


def profile(server: Server, email: str) -> dict[str, Any]:
    response = server.admin.get("/api/profiles", params={"value": email})
    assert response.status_code == 200, response.text
    return response.json()


def one(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == 1, results
    return dict(results[0])


def ledger(server: Server, profile_id: int, *, test: bool = False) -> dict[str, Any]:
    response = server.admin.get(
        f"/api/profiles/{profile_id}/ledger", params={"test": str(test).lower(), "limit": 500}
    )
    assert response.status_code == 200, response.text
    return response.json()


def ledger_ok(server: Server) -> None:
    check = server.admin.get("/api/ledger/check").json()
    assert check["ok"] is True, check


def test_a_client_event_id_tried_as_a_test_does_not_block_the_live_event(server: Server) -> None:
    connector = refund_connector(server)
    add_rule(server, connector, name="Ten", reward={"fixed": 10})
    email, test_token = unique_email(), token_of(connector, test=True)
    tried = one(send(server.client, connector, {"id": "ord-x", "email": email}, token=test_token))
    assert tried["status"] == "processed"
    real = one(send(server.client, connector, {"id": "ord-x", "email": email}))
    assert real["status"] == "processed", real
    assert [a["points"] for a in real["awards"]] == [10] and real["balance"] == 10
    member = profile(server, email)
    assert (member["balance"], member["testBalance"]) == (10, 10)
    # Each side still knows its own duplicates.
    assert one(send(server.client, connector, {"id": "ord-x", "email": email}))["status"] == "duplicate"
    again = one(send(server.client, connector, {"id": "ord-x", "email": email}, token=test_token))
    assert again["status"] == "duplicate" and again["first"]["eventId"] == tried["eventId"]
    ledger_ok(server)


def test_an_identical_test_event_does_not_hide_the_live_one(server: Server) -> None:
    connector = refund_connector(server)
    add_rule(server, connector, name="Five", reward={"fixed": 5})
    email = unique_email()
    body = {"email": email, "tags": {"page": "home"}}  # no clientEventId: the 60 s identical check
    tried = one(send(server.client, connector, body, token=token_of(connector, test=True)))
    assert tried["status"] == "processed"
    real = one(send(server.client, connector, body))
    assert real["status"] == "processed", real
    assert real["balance"] == 5
    assert one(send(server.client, connector, body))["status"] == "duplicate"
    member = profile(server, email)
    assert (member["balance"], member["testBalance"]) == (5, 5)
    ledger_ok(server)


def test_a_refund_reverses_only_its_own_data(server: Server) -> None:
    connector = refund_connector(server)
    add_rule(
        server,
        connector,
        name="Order points",
        conditions={"tag": "type", "op": "eq", "value": "order"},
        reward={"fixed": 40},
    )
    email, test_token = unique_email(), token_of(connector, test=True)
    order = {"email": email, "tags": {"type": "order"}}
    # An order sent only as a test, refunded live: nothing live to reverse.
    one(send(server.client, connector, {**order, "id": "ord-t"}, token=test_token))
    live_refund = one(send(server.client, connector, {"id": "rf-1", "email": email, "reverses": "ord-t"}))
    assert live_refund["status"] == "processed"
    assert live_refund["reversal"]["ok"] is False and "live data" in live_refund["reversal"]["reason"]
    member = profile(server, email)
    assert (member["balance"], member["testBalance"]) == (0, 40)
    assert ledger(server, member["id"])["items"] == []
    # The reverse: an order sent only live, refunded as a test, keeps its live points.
    one(send(server.client, connector, {**order, "id": "ord-l"}))
    test_refund = one(
        send(server.client, connector, {"id": "rf-2", "email": email, "reverses": "ord-l"}, token=test_token)
    )
    assert test_refund["reversal"]["ok"] is False and "test data" in test_refund["reversal"]["reason"]
    member = profile(server, email)
    assert (member["balance"], member["testBalance"]) == (40, 40)
    assert [e["kind"] for e in ledger(server, member["id"], test=True)["items"]] == ["award"]
    ledger_ok(server)


def test_purge_leaves_live_events_and_balances_alone(server: Server) -> None:
    connector = refund_connector(server)
    add_rule(server, connector, name="Seven", reward={"fixed": 7})
    email, test_token = unique_email(), token_of(connector, test=True)
    for n in range(3):
        send(server.client, connector, {"id": f"live-{n}", "email": email})
        send(server.client, connector, {"id": f"test-{n}", "email": email}, token=test_token)
    send(server.client, connector, {"id": "live-r", "email": email, "reverses": "live-0", "fraction": 0.5})
    send(server.client, connector, {"id": "test-r", "email": email, "reverses": "test-0"}, token=test_token)
    live_events = server.admin.get(
        "/api/events", params={"connector": connector["id"], "test": "false"}
    ).json()
    before = profile(server, email)
    live_ledger = ledger(server, before["id"])
    assert (before["balance"], before["testBalance"]) == (7 * 4 - 4, 7 * 4 - 7)
    purged = server.admin.post(f"/api/connectors/{connector['id']}/purge-test-data").json()["purged"]
    assert purged == {"events": 4, "pointsEntries": 5, "profiles": 0, "requests": 4}
    after = profile(server, email)
    assert (after["balance"], after["lifetimePoints"]) == (before["balance"], before["lifetimePoints"])
    assert (after["testBalance"], after["testLifetimePoints"]) == (0, 0)
    assert ledger(server, after["id"]) == live_ledger
    assert server.admin.get("/api/events", params={"connector": connector["id"]}).json() == live_events
    ledger_ok(server)


def test_a_refund_that_matches_the_reversed_rule_reverses_and_earns(server: Server) -> None:
    connector = refund_connector(server)
    rule = add_rule(server, connector, name="Ten for everything", reward={"fixed": 10})
    email = unique_email()
    one(send(server.client, connector, {"id": "ord-1", "email": email}))
    refund = one(send(server.client, connector, {"id": "rf-1", "email": email, "reverses": "ord-1"}))
    assert refund["status"] == "processed"
    assert [e["points"] for e in refund["reversal"]["entries"]] == [-10]
    assert [(a["ruleId"], a["points"]) for a in refund["awards"]] == [(rule["id"], 10)]
    assert refund["balance"] == 10
    # The trace and the ledger tell the same story.
    event = server.admin.get(f"/api/events/{refund['eventId']}").json()
    steps = {s["step"]: s for s in event["trace"]}
    assert [a["points"] for a in steps["ledger"]["awards"]] == [10] and steps["ledger"]["balance"] == 10
    assert [e["points"] for e in steps["reversal"]["entries"]] == [-10]
    entries = [
        e for e in ledger(server, refund["profile"]["id"])["items"] if e["eventId"] == refund["eventId"]
    ]
    assert sorted((e["kind"], e["ruleId"], e["points"]) for e in entries) == [
        ("award", rule["id"], 10),
        ("reversal", rule["id"], -10),
    ]
    assert profile(server, email)["balance"] == 10
    ledger_ok(server)


def test_partial_refunds_add_up_to_exactly_the_award(server: Server) -> None:
    connector = refund_connector(server)
    add_rule(
        server,
        connector,
        name="Ten",
        conditions={"tag": "type", "op": "eq", "value": "order"},
        reward={"fixed": 10},
    )
    add_rule(
        server,
        connector,
        name="Five",
        conditions={"tag": "type", "op": "eq", "value": "order"},
        reward={"fixed": 5},
    )
    email = unique_email()
    one(send(server.client, connector, {"id": "ord-1", "email": email, "tags": {"type": "order"}}))
    assert profile(server, email)["balance"] == 15
    taken: list[list[int]] = []
    for n in range(3):  # a third, a third, a third
        refund = {"id": f"rf-{n}", "email": email, "reverses": "ord-1", "fraction": 1 / 3}
        result = one(send(server.client, connector, refund))
        taken.append(sorted(e["points"] for e in result["reversal"]["entries"]))
    assert taken == [[-3, -2], [-4, -1], [-3, -2]]  # 10 = 3 + 4 + 3 and 5 = 2 + 1 + 2
    assert profile(server, email)["balance"] == 0
    # Fractions past 1 take nothing more; the trace says why.
    extra = one(send(server.client, connector, {"id": "rf-x", "email": email, "reverses": "ord-1"}))
    assert {e["reason"] for e in extra["reversal"]["entries"]} == {"already fully reversed"}
    assert extra["reversal"]["cumulativeFraction"] == 1
    event = server.admin.get(f"/api/events/{extra['eventId']}").json()
    assert event["reversesEventId"] is not None
    # Halves of an odd award: 3 then 2, not 3 and 3.
    one(send(server.client, connector, {"id": "ord-2", "email": email, "tags": {"type": "order"}}))
    halves = [
        one(
            send(
                server.client,
                connector,
                {"id": f"h-{n}", "email": email, "reverses": "ord-2", "fraction": 0.5},
            )
        )
        for n in range(2)
    ]
    assert [sorted(e["points"] for e in h["reversal"]["entries"]) for h in halves] == [[-5, -3], [-5, -2]]
    assert profile(server, email)["balance"] == 0
    ledger_ok(server)


def test_a_profile_two_test_connectors_share_goes_with_the_last_purge(server: Server) -> None:
    first, second = create_connector(server.admin, mode="test"), create_connector(server.admin, mode="test")
    add_rule(server, first, name="One", reward={"fixed": 1})
    add_rule(server, second, name="Two", reward={"fixed": 2})
    email = unique_email()
    send(server.client, first, {"id": "a", "email": email})
    send(server.client, second, {"id": "b", "email": email})
    assert profile(server, email)["testBalance"] == 3
    purged = server.admin.post(f"/api/connectors/{first['id']}/purge-test-data").json()["purged"]
    # The second still uses the profile.
    assert purged == {"events": 1, "pointsEntries": 1, "profiles": 0, "requests": 1}
    assert profile(server, email)["testBalance"] == 2
    purged = server.admin.post(f"/api/connectors/{second['id']}/purge-test-data").json()["purged"]
    assert purged == {"events": 1, "pointsEntries": 1, "profiles": 1, "requests": 1}
    assert server.admin.get("/api/profiles", params={"value": email}).status_code == 404
    ledger_ok(server)


def test_logs_filter_test_and_live(server: Server) -> None:
    connector = refund_connector(server)
    email, test_token = unique_email(), token_of(connector, test=True)
    send(server.client, connector, {"id": "l", "email": email})
    send(server.client, connector, {"id": "t", "email": email}, token=test_token)
    send(server.client, connector, {"id": "t2", "email": email}, token=test_token)

    def listed(path: str, **params: str) -> list[bool]:
        response = server.admin.get(path, params=params)
        assert response.status_code == 200, response.text
        return [item["test"] for item in response.json()["items"]]

    requests, cid = "/api/requests", connector["id"]
    assert listed(requests, connector=cid, test="true") == [True, True]
    assert listed(requests, connector=cid, test="false") == [False]
    assert sorted(listed(requests, connector=cid)) == [False, True, True]
    assert listed("/api/events", connector=cid, test="true") == [True, True]
    assert listed("/api/events", connector=cid, test="false") == [False]
    activity = f"/api/profiles/{profile(server, email)['id']}/events"
    assert listed(activity, test="true") == [True, True] and listed(activity, test="false") == [False]
    assert sorted(listed(activity)) == [False, True, True]
    for path in (requests, "/api/events", activity):
        assert_error(server.admin.get(path, params={"test": "maybe"}), 422, "invalid_parameter", "test")


def test_the_admin_log_lists_purges(server: Server) -> None:
    connector = create_connector(server.admin, mode="test")
    add_rule(server, connector, name="Three", reward={"fixed": 3})
    send(server.client, connector, {"id": "p1", "email": unique_email()})
    server.admin.post(f"/api/connectors/{connector['id']}/purge-test-data")
    server.admin.post(f"/api/connectors/{connector['id']}/purge-test-data")
    response = server.admin.get("/api/admin-log", params={"connector": connector["id"]})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["action"] for i in items] == ["purge_test_data", "purge_test_data"]
    assert items[0]["id"] > items[1]["id"]  # newest first
    assert items[1]["details"] == {"events": 1, "pointsEntries": 1, "profiles": 1, "requests": 1}
    assert items[0]["details"] == {"events": 0, "pointsEntries": 0, "profiles": 0, "requests": 0}
    assert items[0]["connectorId"] == connector["id"] and items[0]["createdAt"].endswith("Z")
    first_page = server.admin.get("/api/admin-log", params={"connector": connector["id"], "limit": 1}).json()
    assert [i["id"] for i in first_page["items"]] == [items[0]["id"]] and first_page["next"] == items[0]["id"]
    second_page = server.admin.get(
        "/api/admin-log", params={"connector": connector["id"], "limit": 1, "before": first_page["next"]}
    ).json()
    assert [i["id"] for i in second_page["items"]] == [items[1]["id"]]
    by_action = server.admin.get("/api/admin-log", params={"connector": connector["id"], "action": "replay"})
    assert by_action.json()["items"] == []
    everything = server.admin.get("/api/admin-log", params={"action": "purge_test_data", "limit": 500}).json()
    assert {i["id"] for i in items} <= {i["id"] for i in everything["items"]}
    assert all(i["action"] == "purge_test_data" for i in everything["items"])
    assert_error(
        server.admin.get("/api/admin-log", params={"before": "x"}), 422, "invalid_parameter", "before"
    )
    assert_error(server.admin.get("/api/admin-log", params={"limit": "0"}), 422, "invalid_parameter", "limit")
    huge = str(2**64)
    for path, name in (("/api/admin-log", "before"), ("/api/events", "before"), ("/api/events", "profile")):
        assert_error(server.admin.get(path, params={name: huge}), 422, "invalid_parameter", name)
    assert server.client.get("/api/admin-log").status_code == 401
