"""Dry runs take the live path (GET pixels, the body-size limit) and name no row they did not keep.

End to end over real HTTP, on SQLite and PostgreSQL. The test server's body limit is 64 KiB.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, token_of, unique_email
from tests.test_rules_e2e import add_rule, balance

LIMIT = 64 * 1024


def dry_run(server: Server, connector: dict[str, Any], **request: Any) -> dict[str, Any]:
    response = server.admin.post(f"/api/connectors/{connector['id']}/dry-run", json=request)
    assert response.status_code == 200, response.text
    return response.json()


def ids_named(value: Any, keys: frozenset[str]) -> list[Any]:
    """Every value under one of `keys`, anywhere in a JSON document."""
    if isinstance(value, list):
        return [found for v in value for found in ids_named(v, keys)]
    if isinstance(value, dict):
        here = [v for k, v in value.items() if k in keys]
        return here + [found for v in value.values() for found in ids_named(v, keys)]
    return []


def test_dry_run_answers_null_for_the_ids_of_rows_it_did_not_keep(server: Server) -> None:
    connector = create_connector(server.admin)
    add_rule(server, connector, name="Each", reward={"fixed": 5})
    known, newcomer = unique_email("known"), unique_email("new")
    live = send(server.client, connector, {"id": "k1", "email": known}).json()["results"][0]
    known_id = live["profile"]["id"]
    body = [
        {"id": "n1", "email": newcomer},
        {"id": "n1", "email": newcomer},  # a repeat of the one above, in the same dry run
        {"id": "k2", "email": known},
        {"id": "k1", "email": known},  # a repeat of the live event: that one exists
    ]
    report = dry_run(server, connector, body=body, query={"token": token_of(connector)})
    new, repeat, again, old_repeat = report["results"]
    assert [r["status"] for r in report["results"]] == ["processed", "duplicate", "processed", "duplicate"]
    entry_keys = frozenset({"entryId", "reversalEntryId"})
    phantom = [new, repeat, again]  # everything but the live event the last one repeats
    assert ids_named(phantom, entry_keys) and all(i is None for i in ids_named(phantom, entry_keys))
    assert all(r["eventId"] is None for r in report["results"])
    assert new["profile"] == {"kind": "default", "value": newcomer, "id": None, "created": True}
    profile_step = next(s for s in new["trace"] if s["step"] == "profile")
    assert profile_step["profileId"] is None and profile_step["created"] is True
    assert repeat["first"]["eventId"] is None  # the first was the dry run's own, rolled back
    assert next(s for s in repeat["trace"] if s["step"] == "idempotency")["duplicateOf"] is None
    # Rows that exist keep their ids.
    assert again["profile"]["id"] == known_id and old_repeat["first"]["eventId"] == live["eventId"]
    assert old_repeat["first"]["awards"][0]["entryId"] == live["awards"][0]["entryId"] is not None
    assert server.admin.get("/api/profiles", params={"value": newcomer}).status_code == 404


def test_dry_run_of_a_get_pixel_maps_the_query_as_live_does(server: Server) -> None:
    pixel = """{"clientEventId": id, "profile": {"value": email},
                "payload": {"tags": [{"name": "p", "value": page}]}}"""
    connector = create_connector(server.admin, mapping=pixel, allowGet=True)
    add_rule(server, connector, name="Visit", reward={"fixed": 2})
    email = unique_email()
    query = {"token": token_of(connector), "id": "px1", "email": email, "page": "home"}
    report = dry_run(server, connector, method="GET", query=query)
    assert report["auth"]["ok"] is True
    assert report["parse"] == {"ok": True, "rawEvents": [{"id": "px1", "email": email, "page": "home"}]}
    assert report["results"][0]["status"] == "processed" and report["results"][0]["awards"][0]["points"] == 2
    # Live does the same with the same GET.
    live = server.client.get(server.ingest_url(connector["id"]), params=query).json()["results"][0]
    assert (live["status"], live["awards"][0]["points"]) == ("processed", 2)
    assert balance(server, email) == 2
    # A connector without allowGet: the dry run shows the 405 live answers.
    closed = create_connector(server.admin, mapping=pixel)
    refused = dry_run(server, closed, method="GET", query={"token": token_of(closed), "email": email})
    assert refused["parse"]["ok"] is False and refused["parse"]["status"] == 405
    assert refused["parse"]["error"]["code"] == "method_not_allowed" and refused["results"] == []
    assert (
        server.client.get(server.ingest_url(closed["id"]), params={"token": token_of(closed)}).status_code
        == 405
    )
    # The standalone dry run takes a GET too.
    standalone = server.admin.post(
        "/api/dry-run",
        json={"mapping": pixel, "method": "GET", "query": {"id": "s", "email": email, "page": "x"}},
    ).json()
    assert standalone["parse"]["rawEvents"] == [{"id": "s", "email": email, "page": "x"}]


def test_dry_run_applies_the_body_size_limit(server: Server) -> None:
    connector = create_connector(server.admin)
    big = json.dumps({"id": "b1", "email": unique_email(), "pad": "x" * LIMIT})
    live = send(server.client, connector, big)
    assert_error(live, 413, "payload_too_large")
    report = dry_run(server, connector, bodyText=big, query={"token": token_of(connector)})
    assert report["parse"]["ok"] is False and report["parse"]["status"] == 413
    assert report["parse"]["error"]["code"] == "payload_too_large" and report["results"] == []
    assert str(LIMIT) in report["parse"]["error"]["message"]
    # Just under the limit is accepted, as live accepts it.
    fits = json.dumps({"id": "b2", "email": unique_email(), "pad": "x" * (LIMIT - 200)})
    assert dry_run(server, connector, bodyText=fits)["results"][0]["status"] == "processed"
    # The dry-run request itself is capped too (room for a JSON-escaped body of the limit).
    huge = json.dumps({"bodyText": "x" * (8 * LIMIT)})
    response = server.admin.post(
        f"/api/connectors/{connector['id']}/dry-run",
        content=huge,
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 413, "payload_too_large")
    standalone = server.admin.post(
        "/api/dry-run", content=json.dumps({"mapping": "$", "bodyText": "x" * (8 * LIMIT)})
    )
    assert_error(standalone, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("request_body", "fragment"),
    [
        ({"method": "PUT", "body": {}}, 'method: "PUT" is not one of POST, GET'),
        ({"method": "GET", "body": {}}, "a GET (pixel-style) request has no body"),
        ({"method": "GET", "query": {"a": 1}}, "query.a: 1 must be a text"),
        ({"method": "POST"}, "give exactly one of body (JSON) or bodyText"),
    ],
)
def test_bad_dry_run_methods_are_refused_precisely(
    server: Server, request_body: dict[str, Any], fragment: str
) -> None:
    connector = create_connector(server.admin, allowGet=True)
    response = server.admin.post(f"/api/connectors/{connector['id']}/dry-run", json=request_body)
    assert_error(response, 422, "invalid_dry_run", fragment)
