"""Samples end to end over real HTTP, on SQLite and PostgreSQL: capture, check a mapping, guard a save."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, unique_email
from tests.test_rules_e2e import assert_ledger_consistent

MAPPING = """{
  "clientEventId": id,
  "profile": {"value": email},
  "payload": {
    "counters": [{"name": "amount", "value": $number(amount)}],
    "tags": [{"name": "shop", "value": $headers."x-shop" ? $headers."x-shop" : "none"}]
  }
}"""


def samples_url(connector: dict[str, Any]) -> str:
    return f"/api/connectors/{connector['id']}/samples"


def save(server: Server, connector: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = server.admin.post(samples_url(connector), json=body)
    assert response.status_code == 201, response.text
    return response.json()


def check(server: Server, connector: dict[str, Any], mapping: str) -> dict[str, Any]:
    response = server.admin.post(
        f"/api/connectors/{connector['id']}/mapping-check", json={"mapping": mapping}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_capture_samples_check_a_mapping_and_guard_the_save(server: Server) -> None:
    connector = create_connector(server.admin, mapping=MAPPING)
    ann = unique_email("ann")
    send(server.client, connector, [{"id": "s1", "email": ann, "amount": "12.5"}, {"id": "s2", "email": ann}])
    send(server.client, connector, {"id": "s3", "email": ann, "amount": 3})
    recent = server.admin.get(
        f"/api/connectors/{connector['id']}/recent-requests", params={"limit": 2}
    ).json()
    assert [item["raw"]["id"] for item in recent["items"]] == ["s3", "s2"]  # newest first, one per raw event
    picked = next(item for item in recent["items"] if item["raw"]["id"] == "s2")

    from_event = save(server, connector, name="order without amount", eventId=picked["eventId"])
    assert from_event["body"] == {"id": "s2", "email": ann} and from_event["mappingVersion"] == 1
    assert from_event["expected"][0]["payload"]["counters"] == []
    discount = {"id": "d1", "email": ann, "amount": "12.5"}
    given = save(server, connector, name="order with discount", body=discount, headers={"X-Shop": "acme"})
    assert given["headers"] == {"x-shop": "acme"}
    assert given["expected"][0]["payload"]["tags"] == [{"name": "shop", "value": "acme"}]
    assert given["expected"][0]["payload"]["counters"] == [{"name": "amount", "value": 12.5}]
    listed = server.admin.get(samples_url(connector)).json()["items"]
    assert [s["name"] for s in listed] == ["order without amount", "order with discount"]

    # Rounding the amount moves the discount sample only; a broken mapping shows its error.
    rounded = MAPPING.replace("$number(amount)", "$round($number(amount))")
    result = check(server, connector, rounded)
    assert result["changed"] == 1
    by_name = {s["name"]: s for s in result["samples"]}
    assert by_name["order without amount"]["changed"] is False
    moved = by_name["order with discount"]
    assert moved["changed"] is True and moved["sampleId"] == given["id"]
    assert moved["before"][0]["payload"]["counters"][0]["value"] == 12.5
    assert moved["after"][0]["payload"]["counters"][0]["value"] == 12
    broken = check(server, connector, MAPPING.replace("$number(amount)", "$number(email)"))
    assert broken["samples"][1]["after"]["error"]["code"] == "mapping_evaluation_error"
    assert check(server, connector, MAPPING)["changed"] == 0

    # Saving the change is refused until the sample changes are accepted.
    url = f"/api/connectors/{connector['id']}"
    refused = server.admin.patch(url, json={"mapping": rounded})
    error = assert_error(refused, 409, "samples_changed", "'order with discount'", "acceptSampleChanges")
    assert [s["name"] for s in error["details"]["samples"]] == ["order with discount"]
    assert server.admin.get(url).json()["mappingVersion"] == 1
    accepted = server.admin.patch(url, json={"mapping": rounded, "acceptSampleChanges": True})
    assert accepted.status_code == 200 and accepted.json()["mappingVersion"] == 2
    refreshed = {s["name"]: s for s in server.admin.get(samples_url(connector)).json()["items"]}
    assert refreshed["order with discount"]["expected"][0]["payload"]["counters"][0]["value"] == 12
    assert refreshed["order with discount"]["mappingVersion"] == 2
    assert check(server, connector, rounded)["changed"] == 0
    # A change that moves no sample needs no consent; other settings never do.
    same = rounded.replace('"none"', '"none"  /* default shop */')
    assert server.admin.patch(url, json={"mapping": same}).status_code == 200
    assert server.admin.patch(url, json={"name": "Shop orders"}).status_code == 200

    assert server.admin.delete(f"{samples_url(connector)}/{given['id']}").status_code == 204
    assert_error(server.admin.delete(f"{samples_url(connector)}/{given['id']}"), 404, "unknown_sample")
    assert [s["name"] for s in server.admin.get(samples_url(connector)).json()["items"]] == [
        "order without amount"
    ]
    assert_ledger_consistent(server)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "", "body": {}}, 'name: "" must be a non-empty text'),
        ({"name": "   ", "eventId": 1}, 'name: "   " must be a non-empty text'),
        ({"body": {}}, "name: is required"),
        ({"name": "x"}, "eventId, body: give exactly one"),
        ({"name": "x", "body": {}, "eventId": 1}, "eventId, body: give exactly one"),
        ({"name": "x", "eventId": "12"}, 'eventId: "12" is not an event id'),
        ({"name": "x", "eventId": 10**30}, "eventId: 1000000000000000000000000000000 is not an event id"),
        ({"name": "x", "eventId": 999999999}, "eventId: 999999999 is not an event of connector"),
        ({"name": "x", "body": {}, "headers": {"a": 1}}, "headers.a: 1 must be a text"),
        ({"name": "x", "body": {}, "expected": []}, "expected: unknown field"),
        ([], "body: expected"),
    ],
)
def test_bad_sample_input_is_refused_precisely(server: Server, body: Any, fragment: str) -> None:
    connector = create_connector(server.admin)
    assert_error(server.admin.post(samples_url(connector), json=body), 422, "invalid_sample", fragment)


def test_sample_errors_name_the_problem(server: Server) -> None:
    connector, other = create_connector(server.admin), create_connector(server.admin)
    event = send(server.client, other, {"id": "x1", "email": unique_email()}).json()["results"][0]
    assert_error(
        server.admin.post(samples_url(connector), json={"name": "theirs", "eventId": event["eventId"]}),
        422,
        "invalid_sample",
        f"eventId: {event['eventId']} is not an event of connector {connector['id']}",
    )
    save(server, connector, name="one", body={"id": 1})
    assert_error(
        server.admin.post(samples_url(connector), json={"name": "one", "body": {}}),
        409,
        "sample_exists",
        "'one'",
    )
    assert_error(server.admin.delete(f"{samples_url(connector)}/abc"), 422, "invalid_parameter", "'abc'")
    assert_error(server.admin.get("/api/connectors/con_nope/samples"), 404, "unknown_connector")
    assert_error(server.admin.get("/api/connectors/con_nope/recent-requests"), 404, "unknown_connector")
    assert_error(
        server.admin.get(f"/api/connectors/{connector['id']}/recent-requests", params={"limit": 0}),
        422,
        "invalid_parameter",
        "limit",
    )
    check_url = f"/api/connectors/{connector['id']}/mapping-check"
    assert_error(server.admin.post(check_url, json={"mapping": "{"}), 422, "mapping_syntax_error")
    assert_error(
        server.admin.post(check_url, json={"mapping": "$", "x": 1}), 422, "invalid_sample", "mapping"
    )
    assert_error(server.admin.post(check_url, json={"mapping": " "}), 422, "invalid_sample", 'mapping: " "')
    url = f"/api/connectors/{connector['id']}"
    assert_error(
        server.admin.patch(url, json={"mapping": "$", "acceptSampleChanges": "yes"}),
        422,
        "invalid_connector",
        'acceptSampleChanges: "yes" must be true or false',
    )
    created = server.admin.post("/api/connectors", json={"name": "x", "acceptSampleChanges": True})
    assert_error(created, 422, "invalid_connector", "acceptSampleChanges: applies to PATCH only")
