"""End to end over real HTTP: a connector receives events and every outcome is logged."""

from __future__ import annotations

import json
import threading

from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, token_of, unique_email


def test_single_event_is_processed_and_traced(server: Server) -> None:
    connector = create_connector(server.admin)
    email = unique_email("Ann")
    response = send(
        server.client, connector, {"id": "e-1", "email": f"  {email.upper()} ", "counters": {"n": 3}}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["counts"] == {"processed": 1}
    result = body["results"][0]
    assert result["status"] == "processed"
    assert result["clientEventId"] == "e-1"
    assert result["profile"]["value"] == email.lower()
    assert result["profile"]["created"] is True
    event = server.admin.get(f"/api/events/{result['eventId']}").json()
    assert event["status"] == "processed"
    assert event["raw"]["id"] == "e-1"
    assert event["mapped"]["payload"]["counters"] == [{"name": "n", "value": 3}]
    assert [step["step"] for step in event["trace"]] == [
        "map",
        "profile",
        "schema",
        "idempotency",
        "rules",
        "ledger",
    ]
    logged = server.admin.get(f"/api/requests/{body['requestId']}").json()
    assert logged["statusCode"] == 200
    assert logged["auth"]["outcome"] == "accepted"
    assert logged["counts"] == {"processed": 1}
    assert [e["id"] for e in logged["events"]] == [result["eventId"]]


def test_batch_mixes_every_outcome_and_keeps_every_raw_event(server: Server) -> None:
    connector = create_connector(server.admin)
    email = unique_email()
    batch = [
        {"id": "b-1", "email": email},
        {"id": "b-1", "email": email},  # repeat of the first
        {"id": "b-3"},  # no identifier
        {"id": "b-4", "email": email, "counters": {"n": "12"}},  # counter is text
    ]
    results = send(server.client, connector, batch).json()["results"]
    assert [r["status"] for r in results] == ["processed", "duplicate", "ignored", "failed"]
    assert results[1]["first"]["eventId"] == results[0]["eventId"]
    assert "profile.value" in results[2]["reason"]
    assert 'expected a number, got "12"' in results[3]["reason"]
    events = server.admin.get("/api/events", params={"connector": connector["id"], "full": "true"}).json()[
        "items"
    ]
    assert sorted(e["raw"]["id"] for e in events) == ["b-1", "b-1", "b-3", "b-4"]


def test_refused_request_is_logged_without_secret_or_body(server: Server) -> None:
    connector = create_connector(server.admin)
    response = send(server.client, connector, {"id": "x", "email": unique_email()}, token="not-the-token")
    assert_error(response, 401, "invalid_token")
    logs = server.admin.get("/api/requests", params={"connector": connector["id"]}).json()["items"]
    assert logs[0]["statusCode"] == 401
    assert logs[0]["auth"]["outcome"] == "refused"
    assert "not-the-token" not in json.dumps(logs[0])
    assert server.admin.get("/api/events", params={"connector": connector["id"]}).json()["items"] == []


def test_bad_bodies_get_precise_errors(server: Server) -> None:
    connector = create_connector(server.admin)
    bad_json = send(server.client, connector, b'{"id": 1,,}')
    assert_error(bad_json, 400, "malformed_body", "line 1, column 10")
    wrong_type = send(server.client, connector, b"<xml/>", headers={"Content-Type": "application/xml"})
    assert_error(wrong_type, 415, "unsupported_media_type", "application/xml")
    too_big = send(server.client, connector, b'{"pad": "' + b"x" * 70_000 + b'"}')
    assert_error(too_big, 413, "payload_too_large", "70011 bytes")
    # The log row says the size that was refused, as its message does (it was 0).
    logged = server.admin.get(f"/api/requests/{too_big.headers['x-request-id']}").json()
    assert logged["bodyBytes"] == 70_011, logged
    too_many = send(server.client, connector, [{"id": str(i)} for i in range(101)])
    assert_error(too_many, 413, "too_many_events", "101")
    unknown = server.client.post("/ingest/con_does_not_exist?token=x", json={})
    assert_error(unknown, 404, "unknown_connector")
    statuses = [
        r["statusCode"]
        for r in server.admin.get("/api/requests", params={"connector": connector["id"]}).json()["items"]
    ]
    assert sorted(statuses) == [400, 413, 413, 415]


def test_form_ndjson_and_beacon_bodies(server: Server) -> None:
    connector = create_connector(server.admin)
    email = unique_email()
    form = send(
        server.client,
        connector,
        f"id=f-1&email={email}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.json()["results"][0]["status"] == "processed"
    lines = "\n".join(json.dumps({"id": f"n-{i}", "email": email}) for i in range(3)) + "\n"
    ndjson = send(server.client, connector, lines, headers={"Content-Type": "application/x-ndjson"})
    assert [r["status"] for r in ndjson.json()["results"]] == ["processed"] * 3
    beacon = send(
        server.client,
        connector,
        json.dumps({"id": "t-1", "email": email}),
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )
    assert beacon.json()["results"][0]["status"] == "processed"


def test_disabled_connector_answers_404_and_comes_back(server: Server) -> None:
    connector = create_connector(server.admin)
    assert server.admin.post(f"/api/connectors/{connector['id']}/disable").json()["status"] == "disabled"
    assert_error(
        send(server.client, connector, {"id": "d", "email": unique_email()}), 404, "unknown_connector"
    )
    server.admin.post(f"/api/connectors/{connector['id']}/enable")
    assert send(server.client, connector, {"id": "d", "email": unique_email()}).status_code == 200


def test_concurrent_repeats_of_one_client_event_id_process_once(server: Server) -> None:
    connector = create_connector(server.admin)
    email = unique_email()
    # The profile exists first, so the repeats meet on its row, not on the insert of a new one.
    before = send(server.client, connector, {"id": "before", "email": email}).json()["results"][0]
    assert before["status"] == "processed" and before["profile"]["created"] is True
    statuses: list[str] = []

    def fire() -> None:
        import httpx

        with httpx.Client(base_url=server.url, timeout=30) as client:
            statuses.append(
                send(client, connector, {"id": "same", "email": email}).json()["results"][0]["status"]
            )

    threads = [threading.Thread(target=fire) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == ["duplicate"] * 7 + ["processed"]


def test_identical_event_without_client_event_id_is_a_duplicate(server: Server) -> None:
    connector = create_connector(server.admin)
    event = {"email": unique_email(), "at": "2026-11-20T10:00:00Z", "tags": {"page": "home"}}
    first = send(server.client, connector, event).json()["results"][0]
    second = send(server.client, connector, event).json()["results"][0]
    different = send(server.client, connector, {**event, "tags": {"page": "cart"}}).json()["results"][0]
    assert (first["status"], second["status"], different["status"]) == ("processed", "duplicate", "processed")
    assert second["first"]["eventId"] == first["eventId"]


def test_rotation_two_tokens_then_revoke(server: Server) -> None:
    connector = create_connector(server.admin)
    old = token_of(connector)
    added = server.admin.post(f"/api/connectors/{connector['id']}/credentials", json={}).json()
    event = {"email": unique_email()}
    assert send(server.client, connector, {**event, "id": "r1"}, token=old).status_code == 200
    assert send(server.client, connector, {**event, "id": "r2"}, token=added["value"]).status_code == 200
    old_id = connector["credentials"][0]["id"]
    assert server.admin.delete(f"/api/connectors/{connector['id']}/credentials/{old_id}").status_code == 204
    assert_error(send(server.client, connector, {**event, "id": "r3"}, token=old), 401, "invalid_token")
    assert send(server.client, connector, {**event, "id": "r4"}, token=added["value"]).status_code == 200
