"""Fixes from the final review, end to end over real HTTP on SQLite and PostgreSQL.

- limits count test and live awards apart (a test event never uses up a live "once a day");
- an event type's schema may not point outside itself (no fetch while ingesting);
- deleting a connector purges its test data (nothing else could);
- precise messages for adjustments and per-unit rates;
- transport headers are not kept with a request (samples and replays must not depend on them).
"""

from __future__ import annotations

from typing import Any

from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, token_of, unique_email
from tests.test_test_live_isolation_e2e import add_rule, ledger_ok, one, profile


def test_a_test_event_does_not_use_up_a_live_limit_nor_the_reverse(server: Server) -> None:
    connector = create_connector(server.admin, testSecret=True)
    add_rule(
        server,
        connector,
        name="Once a day",
        reward={"fixed": 10},
        limits=[{"scope": "profile", "period": "day", "max_times": 1}],
    )
    email, test_token = unique_email(), token_of(connector, test=True)
    day = "2026-11-20T10:00:00Z"
    tried = one(send(server.client, connector, {"id": "t-1", "email": email, "at": day}, token=test_token))
    assert [a["points"] for a in tried["awards"]] == [10]
    live = one(send(server.client, connector, {"id": "l-1", "email": email, "at": day}))
    assert [a["points"] for a in live["awards"]] == [10], live  # the test award did not count
    again = one(send(server.client, connector, {"id": "l-2", "email": email, "at": day}))
    assert again["awards"] == []  # the live limit itself still holds
    tried_again = one(
        send(server.client, connector, {"id": "t-2", "email": email, "at": day}, token=test_token)
    )
    assert tried_again["awards"] == []  # and so does the test one
    member = profile(server, email)
    assert (member["balance"], member["testBalance"]) == (10, 10)
    ledger_ok(server)


def test_an_event_type_schema_may_not_reference_a_remote_document(server: Server) -> None:
    for schema, where in (
        ({"$ref": "http://127.0.0.1:9/x.json"}, "(root)"),
        ({"properties": {"counters": {"$ref": "money.json"}}}, "properties/counters"),
    ):
        refused = server.admin.post(
            "/api/event-types", json={"name": f"shop.remote{len(where)}", "schema": schema}
        )
        assert_error(refused, 422, "invalid_event_type", f"schema at {where}", "only local references")
    local = {
        "$defs": {"money": {"type": "number", "minimum": 0}},
        "properties": {"counters": {"properties": {"amount": {"$ref": "#/$defs/money"}}}},
    }
    name = f"shop.local{unique_email()[7:13]}"
    assert server.admin.post("/api/event-types", json={"name": name, "schema": local}).status_code == 201
    connector = create_connector(server.admin, eventType=name)
    email = unique_email()
    bad = one(send(server.client, connector, {"id": "a", "email": email, "counters": {"amount": -1}}))
    assert bad["status"] == "rejected" and "counters.amount" in bad["reason"], bad
    good = one(send(server.client, connector, {"id": "b", "email": email, "counters": {"amount": 3}}))
    assert good["status"] == "processed", good


def test_deleting_a_connector_purges_its_test_data_and_keeps_live_data(server: Server) -> None:
    tester = create_connector(server.admin, mode="test")
    add_rule(server, tester, name="Four", reward={"fixed": 4})
    live = create_connector(server.admin)
    add_rule(server, live, name="Three", reward={"fixed": 3})
    only_test, both = unique_email(), unique_email()
    assert one(send(server.client, tester, {"id": "d1", "email": only_test}))["status"] == "processed"
    assert one(send(server.client, tester, {"id": "d2", "email": both}))["status"] == "processed"
    assert one(send(server.client, live, {"id": "d3", "email": both}))["status"] == "processed"
    assert server.admin.delete(f"/api/connectors/{tester['id']}").status_code == 204
    gone = server.admin.get("/api/profiles", params={"value": only_test})
    assert_error(gone, 404, "unknown_profile")
    member = profile(server, both)
    assert (member["balance"], member["testBalance"]) == (3, 0)
    events = server.admin.get("/api/events", params={"connector": tester["id"]}).json()["items"]
    assert events == []
    purges = server.admin.get(
        "/api/admin-log", params={"connector": tester["id"], "action": "purge_test_data"}
    ).json()["items"]
    assert [p["details"]["events"] for p in purges] == [2]
    ledger_ok(server)


def test_adjustment_and_per_unit_messages_name_the_field(server: Server) -> None:
    connector = create_connector(server.admin)
    email = unique_email()
    assert one(send(server.client, connector, {"id": "x", "email": email}))["status"] == "processed"
    url = f"/api/profiles/{profile(server, email)['id']}/adjustments"
    no_admin = server.admin.post(url, json={"points": 5, "reason": "goodwill"})
    assert_error(no_admin, 422, "invalid_adjustment", "admin: is required")
    no_reason = server.admin.post(url, json={"points": 5, "admin": "marie"})
    assert_error(no_reason, 422, "invalid_adjustment", "reason: is required")
    tiny_per: dict[str, Any] = {"points_per_unit": {"counter": "amount", "per": 1e-300, "points": 1}}
    refused = server.admin.post("/api/rules", json={"name": "Too rich", "reward": tiny_per})
    assert_error(refused, 422, "invalid_rule", "reward.points_per_unit.per: 1e-300 is too small")


def test_transport_headers_are_not_kept_with_the_request(server: Server) -> None:
    connector = create_connector(server.admin)
    sent = send(
        server.client,
        connector,
        {"id": "h1", "email": unique_email()},
        headers={"Content-Type": "application/json", "X-Topic": "orders/create", "Connection": "keep-alive"},
    )
    assert sent.status_code == 200, sent.text
    kept = server.admin.get(f"/api/requests/{sent.json()['requestId']}").json()
    assert kept["headers"]["x-topic"] == "orders/create"
    assert not {"content-length", "connection"} & set(kept["headers"]), kept["headers"]
