"""Test mode, test credentials, purge and dry runs, end to end over real HTTP on both databases."""

from __future__ import annotations

from typing import Any

from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, token_of, unique_email


def add_rule(server: Server, connector: dict[str, Any], **rule: Any) -> dict[str, Any]:
    body = {"status": "active", "source": {"connector": connector["id"]}, **rule}
    response = server.admin.post("/api/rules", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def profile(server: Server, email: str) -> dict[str, Any]:
    return server.admin.get("/api/profiles", params={"value": email}).json()


def counts(server: Server) -> dict[str, int]:
    events = server.admin.get("/api/events", params={"limit": 500}).json()["items"]
    return {"events": len(events)}


def test_test_mode_keeps_points_apart_and_purge_restores(server: Server) -> None:
    connector = create_connector(server.admin, mode="test")
    add_rule(server, connector, name="Ten", reward={"fixed": 10})
    tester, member = unique_email("tester"), unique_email("member")
    # A member who already has live points must keep them through a purge.
    live = create_connector(server.admin)
    add_rule(server, live, name="Live five", reward={"fixed": 5})
    send(server.client, live, {"id": "l1", "email": member})
    body = send(
        server.client, connector, [{"id": "t1", "email": tester}, {"id": "t2", "email": member}]
    ).json()
    assert body["test"] is True
    assert [r["status"] for r in body["results"]] == ["processed", "processed"]
    assert profile(server, tester)["balance"] == 0 and profile(server, tester)["testBalance"] == 10
    assert profile(server, member)["balance"] == 5 and profile(server, member)["testBalance"] == 10
    events = server.admin.get("/api/events", params={"connector": connector["id"], "test": "true"}).json()[
        "items"
    ]
    assert len(events) == 2
    purged = server.admin.post(f"/api/connectors/{connector['id']}/purge-test-data").json()["purged"]
    assert purged == {"events": 2, "pointsEntries": 2, "profiles": 1, "requests": 1}
    assert server.admin.get("/api/profiles", params={"value": tester}).status_code == 404
    kept = profile(server, member)
    assert (kept["balance"], kept["testBalance"]) == (5, 0)
    assert server.admin.get("/api/events", params={"connector": connector["id"]}).json()["items"] == []
    assert server.admin.get("/api/events", params={"connector": live["id"]}).json()["items"] != []
    # Its request rows went too: kept, they would count events that no longer exist.
    assert server.admin.get("/api/requests", params={"connector": connector["id"]}).json()["items"] == []
    assert server.admin.get("/api/requests", params={"connector": live["id"]}).json()["items"] != []
    # The same clientEventId can be sent again after a purge: it is a fresh start.
    again = send(server.client, connector, {"id": "t1", "email": tester}).json()["results"][0]
    assert again["status"] == "processed"
    assert server.admin.get("/api/ledger/check").json()["ok"] is True


def test_live_connector_accepts_a_test_credential(server: Server) -> None:
    connector = create_connector(server.admin, testSecret=True)
    add_rule(server, connector, name="Twenty", reward={"fixed": 20})
    email = unique_email()
    test_token = token_of(connector, test=True)
    tried = send(server.client, connector, {"id": "x1", "email": email}, token=test_token).json()
    assert tried["test"] is True
    assert profile(server, email)["testBalance"] == 20 and profile(server, email)["balance"] == 0
    real = send(server.client, connector, {"id": "x2", "email": email}).json()
    assert real["test"] is False
    assert profile(server, email)["balance"] == 20
    logged = server.admin.get("/api/requests", params={"connector": connector["id"]}).json()["items"]
    assert sorted(r["test"] for r in logged) == [False, True]
    purged = server.admin.post(f"/api/connectors/{connector['id']}/purge-test-data").json()["purged"]
    assert purged["events"] == 1 and purged["profiles"] == 0  # the profile has live data now
    after = profile(server, email)
    assert (after["balance"], after["testBalance"]) == (20, 0)


def test_connector_dry_run_shows_everything_and_writes_nothing(server: Server) -> None:
    connector = create_connector(server.admin)
    add_rule(server, connector, name="Active", reward={"fixed": 3})
    draft = add_rule(server, connector, name="Draft", status="draft", reward={"fixed": 100})
    email = unique_email()
    send(server.client, connector, {"id": "before", "email": email})
    before_events = server.admin.get("/api/events", params={"connector": connector["id"]}).json()["items"]
    request = {
        "body": [{"id": "d1", "email": email, "counters": {"n": 1}}, {"id": "d2"}],
        "query": {"token": token_of(connector)},
        "includeStatuses": ["active", "draft"],
    }
    report = server.admin.post(f"/api/connectors/{connector['id']}/dry-run", json=request).json()
    assert report["dryRun"] is True and report["auth"]["ok"] is True
    assert report["parse"]["rawEvents"][1] == {"id": "d2"}
    first, second = report["results"]
    assert first["status"] == "processed" and first["eventId"] is None
    assert sorted(a["points"] for a in first["awards"]) == [3, 100]
    assert first["balance"] == 3 + 103
    assert [s["step"] for s in first["trace"]] == [
        "map",
        "profile",
        "schema",
        "idempotency",
        "rules",
        "ledger",
    ]
    rules_step = first["trace"][4]["rules"]
    assert {r["ruleId"] for r in rules_step} >= {draft["id"]}
    assert second["status"] == "ignored"
    # Nothing was written: no events, no points, no balance change.
    after_events = server.admin.get("/api/events", params={"connector": connector["id"]}).json()["items"]
    assert after_events == before_events
    assert profile(server, email)["balance"] == 3
    # A wrong token is reported, and the rest still runs.
    wrong = server.admin.post(
        f"/api/connectors/{connector['id']}/dry-run",
        json={"body": {"id": "d3", "email": email}, "query": {"token": "x"}},
    ).json()
    assert wrong["auth"]["ok"] is False and wrong["auth"]["error"]["code"] == "invalid_token"
    assert wrong["results"][0]["status"] == "processed"
    bad_json = server.admin.post(
        f"/api/connectors/{connector['id']}/dry-run", json={"bodyText": "{nope", "query": {"token": "x"}}
    ).json()
    assert bad_json["parse"]["ok"] is False and bad_json["parse"]["error"]["code"] == "malformed_body"


def test_standalone_dry_run_tries_a_mapping_before_saving(server: Server) -> None:
    mapping = (
        '{"clientEventId": id, "profile": {"value": email},'
        ' "payload": {"counters": [{"name": "n", "value": n}]}}'
    )
    report = server.admin.post(
        "/api/dry-run", json={"mapping": mapping, "body": {"id": "s1", "email": unique_email(), "n": "7"}}
    ).json()
    result = report["results"][0]
    assert result["status"] == "failed"
    assert result["error"]["details"]["path"] == "payload.counters[0].value"
    syntax = server.admin.post("/api/dry-run", json={"mapping": '{"a": ', "body": {}})
    assert_error(syntax, 422, "mapping_syntax_error", "position")
    assert_error(server.admin.post("/api/dry-run", json={"body": {}}), 422, "invalid_dry_run", "mapping")
    assert_error(
        server.admin.post("/api/dry-run", json={"mapping": "$", "body": {}, "bodyText": "{}"}),
        422,
        "invalid_dry_run",
    )
    assert_error(
        server.admin.post("/api/dry-run", json={"mapping": "$", "body": {}, "includeStatuses": ["sleeping"]}),
        422,
        "invalid_dry_run",
        "includeStatuses",
    )
    assert_error(server.admin.post("/api/connectors/con_nope/purge-test-data"), 404, "unknown_connector")
