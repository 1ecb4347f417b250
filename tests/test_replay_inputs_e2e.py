"""Replay and samples see the request's $headers and $query as live did, credentials never kept.

End to end over real HTTP, on SQLite and PostgreSQL, for each way a token or signature travels.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from sqlalchemy import select

from connectors.auth import parse_auth_settings, sign
from storage.database import Database
from storage.tables import RequestLog
from tests.conftest import Server
from tests.helpers import create_connector, unique_email
from tests.test_replay_e2e import replay
from tests.test_rules_e2e import add_rule, assert_ledger_consistent, balance

# The shop sends the member in the query string and the topic in a header (as Shopify's X-Shopify-Topic).
GOOD = """{
  "clientEventId": id,
  "profile": {"value": $query.email},
  "payload": {
    "tags": [{"name": "topic", "value": $headers."x-topic"}],
    "counters": [{"name": "amount", "value": amount}]
  }
}"""
BROKEN = GOOD.replace("$query.email", "$query.mail")  # a typo: no profile, every event "ignored"

AUTHS = {
    "query_token": ({"method": "query_token", "param": "key"}, "qtok-" + "q" * 30),
    "header_token": ({"method": "header_token", "header": "X-Api-Key"}, "htok-" + "h" * 30),
    "github": ({"method": "hub_signature", "preset": "github"}, "gh-secret-0123456789abcdef"),
    "stripe": ({"method": "hub_signature", "preset": "stripe"}, "whsec_stripe0123456789abcdef"),
}


def post(server: Server, connector: dict[str, Any], auth: dict[str, Any], secret: str, **event: Any) -> Any:
    """One event, signed as the connector expects, the member in the query, the topic in a header."""
    email = event.pop("email")
    body = json.dumps(event).encode()
    signed = sign(parse_auth_settings(auth), secret, body, now=time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Topic": "orders/paid",
        "Cookie": "session=cookie-secret-123",
        "Authorization": "Basic YmFzaWMtc2VjcmV0",
        **signed.headers,
    }
    response = server.client.post(
        server.ingest_url(connector["id"]),
        params={"email": email, "src": "shop", **signed.query},
        content=body,
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json(), signed


def stored_request(server: Server, request_id: str) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        db = Database(server.database_url)
        try:
            async with db.read() as conn:
                table = RequestLog.__table__  # type: ignore[attr-defined]
                row = (await conn.execute(select(table).where(table.c.id == request_id))).mappings().one()
                return dict(row)
        finally:
            await db.dispose()

    return asyncio.run(read())


def secrets_of(secret: str, signed: Any) -> list[str]:
    return [secret, "cookie-secret-123", "YmFzaWMtc2VjcmV0", *signed.headers.values(), *signed.query.values()]


@pytest.mark.parametrize("method", sorted(AUTHS))
def test_replay_and_samples_see_headers_and_query_without_credentials(server: Server, method: str) -> None:
    auth, secret = AUTHS[method]
    connector = create_connector(server.admin, auth=auth, secret=secret, mapping=GOOD)
    per_euro = {"points_per_unit": {"counter": "amount", "per": 1, "points": 1, "rounding": "floor"}}
    add_rule(
        server,
        connector,
        name="Paid orders",
        reward=per_euro,
        conditions={"tag": "topic", "op": "eq", "value": "orders/paid"},
    )
    ann, bob = unique_email("ann"), unique_email("bob")
    first, _ = post(server, connector, auth, secret, email=ann, id="o1", amount=20)
    assert first["results"][0]["awards"][0]["points"] == 20

    url = f"/api/connectors/{connector['id']}"
    assert server.admin.patch(url, json={"mapping": BROKEN}).status_code == 200
    broken, signed = post(server, connector, auth, secret, email=ann, id="o2", amount=12)
    assert broken["results"][0]["status"] == "ignored"
    other, _ = post(server, connector, auth, secret, email=bob, id="o3", amount=7)
    assert other["results"][0]["status"] == "ignored"
    assert server.admin.patch(url, json={"mapping": GOOD}).status_code == 200

    # What the request log keeps: what the mapping read, never a credential.
    row = stored_request(server, broken["requestId"])
    assert row["headers"]["x-topic"] == "orders/paid" and row["query"] == {"email": ann, "src": "shop"}
    assert all(name == name.lower() for name in row["headers"])
    assert not {"authorization", "cookie"} & set(row["headers"])
    assert not {name.lower() for name in signed.headers} & set(row["headers"])
    kept = json.dumps([row["headers"], row["query"]])
    over_http = server.admin.get(f"/api/requests/{broken['requestId']}")
    assert over_http.status_code == 200
    for secret_text in secrets_of(secret, signed):
        assert secret_text not in kept and secret_text not in over_http.text

    # The preview and the replay map with the kept query and headers: exactly the missing points.
    preview = replay(server, connector, statuses=["ignored"])
    assert {(c["value"], c["delta"]) for c in preview["changes"]} == {(ann, 12), (bob, 7)}
    applied = replay(server, connector, statuses=["ignored"], apply=True)
    assert {(c["value"], c["pointsBefore"], c["pointsAfter"]) for c in applied["changes"]} == {
        (ann, 20, 32),
        (bob, 0, 7),
    }
    assert balance(server, ann) == 32 and balance(server, bob) == 7
    ann_id = server.admin.get("/api/profiles", params={"value": ann}).json()["id"]
    assert applied["results"][0]["profileId"] == ann_id  # resolved from the query string
    again = replay(server, connector, apply=True)
    assert again["pointsDelta"] == 0 and again["counts"]["unchanged"] == 3

    # A sample saved from that event keeps what the mapping saw, and expects the right output.
    sample = server.admin.post(
        f"{url}/samples", json={"name": "paid order", "eventId": broken["results"][0]["eventId"]}
    )
    assert sample.status_code == 201, sample.text
    saved = sample.json()
    assert saved["query"] == {"email": ann, "src": "shop"} and saved["headers"]["x-topic"] == "orders/paid"
    expected = saved["expected"][0]
    assert expected["profile"]["value"] == ann
    assert expected["payload"]["tags"] == [{"name": "topic", "value": "orders/paid"}]
    for secret_text in secrets_of(secret, signed):
        assert secret_text not in json.dumps(saved)
    # Headers given with eventId are added over the kept ones.
    topic = server.admin.post(
        f"{url}/samples",
        json={
            "name": "refund",
            "eventId": broken["results"][0]["eventId"],
            "headers": {"X-Topic": "refunds"},
        },
    ).json()
    assert topic["expected"][0]["payload"]["tags"] == [{"name": "topic", "value": "refunds"}]
    # The broken mapping would change the sample's output: the check shows it.
    check = server.admin.post(f"{url}/mapping-check", json={"mapping": BROKEN}).json()
    assert check["changed"] == 2
    assert_ledger_consistent(server)


def test_refused_requests_keep_no_credentials_either(server: Server) -> None:
    auth, secret = AUTHS["query_token"]
    connector = create_connector(server.admin, auth=auth, secret=secret, mapping=GOOD)
    wrong = "wrong-token-" + "w" * 20
    response = server.client.post(
        server.ingest_url(connector["id"]),
        params={"key": wrong, "email": "x@example.com"},
        content=b"{}",
        headers={"Content-Type": "application/json", "X-Topic": "t"},
    )
    assert response.status_code == 401
    request_id = (
        response.headers.get("x-request-id")
        or server.admin.get("/api/requests", params={"connector": connector["id"]}).json()["items"][0]["id"]
    )
    row = stored_request(server, request_id)
    assert row["query"] == {"email": "x@example.com"} and row["headers"]["x-topic"] == "t"
    assert wrong not in json.dumps([row["headers"], row["query"]])
