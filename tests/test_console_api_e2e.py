"""The admin API the console stands on, over HTTP, on both databases: overview statistics,
member search, rule preview, mapping preview, refused-request filters and share links."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest

from api import share_links
from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, unique_email


def _event(email: str, amount: float, **tags: str) -> dict[str, object]:
    return {
        "id": "e-" + uuid.uuid4().hex[:10],
        "email": email,
        "at": datetime.now(UTC).isoformat(),
        "tags": {"channel": "web", **tags},
        "counters": {"amount": amount},
    }


def test_the_overview_counts_events_refusals_and_points(server: Server) -> None:
    connector = create_connector(server.admin, name="Overview source")
    rule = server.admin.post(
        "/api/rules",
        json={
            "name": "Overview: 3 points",
            "status": "active",
            "source": {"connector": connector["id"]},
            "reward": {"fixed": 3},
        },
    ).json()
    email = unique_email("overview")
    for amount in (1, 2):
        assert send(server.client, connector, _event(email, amount)).status_code == 200
    assert send(server.client, connector, _event(email, 3), token="wrong-token").status_code == 401
    body = server.admin.get("/api/stats/overview").json()
    assert body["eventTotals"][connector["id"]] == {"processed": 2}
    minutes = [r for r in body["eventsPerMinute"] if r["connectorId"] == connector["id"]]
    assert sum(r["count"] for r in minutes) == 2
    assert all(r["minute"].endswith(":00Z") for r in minutes)
    points = next(r for r in body["pointsPerRule"] if r["ruleId"] == rule["id"])
    assert points == {"ruleId": rule["id"], "name": "Overview: 3 points", "points": 6, "awards": 2}
    failing = next(c for c in body["connectorsWithFailures"] if c["connectorId"] == connector["id"])
    assert failing["refusedRequests"] == 1 and failing["failed"] == 0
    assert body["refusedByCode"].get("invalid_token", 0) >= 1
    # Test data stays apart.
    assert connector["id"] not in server.admin.get("/api/stats/overview?test=true").json()["eventTotals"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("hours=0", "hours: 0 must be at least 1"),
        ("hours=999", "at most 168"),
        ("test=maybe", "test: 'maybe'"),
    ],
)
def test_the_overview_names_a_bad_parameter(server: Server, query: str, message: str) -> None:
    assert_error(server.admin.get(f"/api/stats/overview?{query}"), 422, "invalid_parameter", message)


def test_the_request_log_filters_refused_requests_by_error_code(server: Server) -> None:
    connector = create_connector(server.admin, name="Refusals")
    assert send(server.client, connector, _event(unique_email(), 1)).status_code == 200
    assert send(server.client, connector, _event(unique_email(), 1), token="nope-nope").status_code == 401
    refused = server.admin.get(f"/api/requests?connector={connector['id']}&refused=true").json()["items"]
    assert [r["statusCode"] for r in refused] == [401]
    accepted = server.admin.get(f"/api/requests?connector={connector['id']}&refused=false").json()["items"]
    assert [r["statusCode"] for r in accepted] == [200]
    code = refused[0]["error"]["code"]
    by_code = server.admin.get(f"/api/requests?connector={connector['id']}&error={code}").json()["items"]
    assert [r["id"] for r in by_code] == [refused[0]["id"]]
    assert server.admin.get(f"/api/requests?connector={connector['id']}&error=other").json()["items"] == []


def test_members_are_found_by_the_start_of_an_identity(server: Server) -> None:
    connector = create_connector(server.admin, name="Search")
    stem = "srch" + uuid.uuid4().hex[:6]
    for email in (f"{stem}-ann@example.com", f"{stem}-bob@example.com", f"{stem}_cy@example.com"):
        assert send(server.client, connector, _event(email, 1)).status_code == 200
    found = server.admin.get(f"/api/profiles/search?prefix={stem}-").json()["items"]
    assert sorted(m["value"] for m in found) == [f"{stem}-ann@example.com", f"{stem}-bob@example.com"]
    # Emails are stored lower-cased; a prefix typed in capitals still finds them.
    assert len(server.admin.get(f"/api/profiles/search?prefix={stem.upper()}").json()["items"]) == 3
    # "_" is a character, not LIKE's wildcard: only the one with an underscore.
    underscore = server.admin.get(f"/api/profiles/search?prefix={stem}_").json()["items"]
    assert [m["value"] for m in underscore] == [f"{stem}_cy@example.com"]
    assert server.admin.get("/api/profiles/search?prefix=%25").json()["items"] == []
    limited = server.admin.get(f"/api/profiles/search?prefix={stem}&limit=1").json()["items"]
    assert len(limited) == 1 and limited[0]["balance"] == 0
    assert_error(server.admin.get("/api/profiles/search"), 422, "invalid_parameter", "prefix: required")
    assert_error(server.admin.get("/api/profiles/search?prefix=a&limit=0"), 422, "invalid_parameter", "limit")


def test_a_rule_preview_judges_recent_events_without_writing(server: Server) -> None:
    connector = create_connector(server.admin, name="Preview source")
    big, small = unique_email("big"), unique_email("small")
    assert send(server.client, connector, _event(big, 120)).status_code == 200
    assert send(server.client, connector, _event(small, 12)).status_code == 200
    rule = {
        "name": "Big baskets",
        "source": {"connector": connector["id"]},
        "conditions": {"counter": "amount", "op": "gte", "value": 100},
        "reward": {"points_per_unit": {"counter": "amount", "per": 10, "points": 1}},
    }
    entries_before = server.admin.get("/api/ledger/check").json()
    answer = server.admin.post("/api/rules/preview", json={"rule": rule, "limit": 10})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["events"], body["matched"], body["points"], body["members"]) == (2, 1, 12, 1)
    outcomes = sorted((i["outcome"], i["points"]) for i in body["items"])
    assert outcomes == [("awarded", 12), ("not_matched", 0)]
    assert any("is not ≥ 100" in (i["reason"] or "") for i in body["items"])
    assert all(r["name"] != "Big baskets" for r in server.admin.get("/api/rules").json()["items"])
    assert server.admin.get("/api/ledger/check").json() == entries_before


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({}, 422, "invalid_rule", "rule: is required"),
        ({"rule": "x"}, 422, "invalid_rule", "rule: \"x\" must be a JSON object describing the rule"),
        ({"rule": {"name": "x", "reward": {"fixed": 1}}, "limit": 0}, 422, "invalid_rule", "limit: 0"),
        ({"rule": {"name": "x", "reward": {"fixed": 1}}, "extra": 1}, 422, "invalid_rule", "extra: unknown"),
        ({"rule": {"name": "x", "reward": {"bonus": 1}}}, 422, "invalid_rule", "reward"),
        (
            {"rule": {"name": "x", "reward": {"fixed": 1}, "source": {"connector": "con_nope"}}},
            422,
            "invalid_rule",
            'source.connector: "con_nope" is not a connector',
        ),
    ],
)
def test_a_rule_preview_names_what_is_wrong(
    server: Server, body: dict[str, object], status: int, code: str, message: str
) -> None:
    assert_error(server.admin.post("/api/rules/preview", json=body), status, code, message)


def test_a_mapping_preview_tries_an_unsaved_mapping_with_the_connectors_rules(server: Server) -> None:
    connector = create_connector(server.admin, name="Mapping preview")
    server.admin.post(
        "/api/rules",
        json={
            "name": "Mapping preview: 7",
            "status": "active",
            "source": {"connector": connector["id"]},
            "conditions": {"tag": "tier", "op": "eq", "value": "gold"},
            "reward": {"fixed": 7},
        },
    )
    sample = {"name": "gold member", "body": _event(unique_email(), 5)}
    assert server.admin.post(f"/api/connectors/{connector['id']}/samples", json=sample).status_code == 201
    gold = connector["mapping"].replace(
        '"tags": tags ?', '"tags": [{"name": "tier", "value": "gold"}] ~> $append(tags ?'
    )
    gold = gold.replace(': [],\n    "counters"', ': []),\n    "counters"')
    answer = server.admin.post(
        f"/api/connectors/{connector['id']}/mapping-preview",
        json={"mapping": gold, "body": _event(unique_email(), 5)},
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert "auth" not in report
    assert report["results"][0]["awards"][0]["points"] == 7
    assert report["samples"]["changed"] == 1
    # Nothing was saved or written.
    assert server.admin.get(f"/api/connectors/{connector['id']}").json()["mappingVersion"] == 1
    assert server.admin.get(f"/api/events?connector={connector['id']}").json()["items"] == []
    broken = server.admin.post(
        f"/api/connectors/{connector['id']}/mapping-preview", json={"mapping": "{", "body": {}}
    )
    error = assert_error(broken, 422, "mapping_syntax_error")
    assert isinstance(error["details"]["position"], int)
    assert_error(
        server.admin.post(f"/api/connectors/{connector['id']}/mapping-preview", json={"body": {}}),
        422,
        "invalid_dry_run",
        "mapping: is required",
    )
    assert_error(
        server.admin.post(
            f"/api/connectors/{connector['id']}/mapping-preview",
            json={"mapping": "$", "eventType": "custom.basic", "body": {}},
        ),
        422,
        "invalid_dry_run",
        "eventType",
    )
    assert_error(
        server.admin.post("/api/connectors/con_nope/mapping-preview", json={"mapping": "$", "body": {}}),
        404,
        "unknown_connector",
    )


def test_a_share_link_opens_the_integration_page_until_it_expires_or_is_revoked(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector = create_connector(server.admin, name="Shared with the shop's developers")
    made = server.admin.post(f"/api/connectors/{connector['id']}/share-links", json={"days": 1})
    assert made.status_code == 201, made.text
    link = made.json()["url"]
    path = link.removeprefix(server.url)
    page = server.client.get(path)  # no admin token
    assert page.status_code == 200 and "Shared with the shop" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert connector["credentials"][0]["value"] not in page.text
    # Tampered: not valid.
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert server.client.get(tampered).status_code == 404
    # Expired: a day and a second later.
    real_now = time.time()
    monkeypatch.setattr(share_links, "_now", lambda: real_now + 86_401)
    gone = server.client.get(path)
    assert gone.status_code == 410 and "expired" in gone.text
    monkeypatch.undo()
    assert server.client.get(path).status_code == 200
    # Rotated: every earlier link stops; a new one works.
    rotated = server.admin.post(f"/api/connectors/{connector['id']}/share-links/rotate")
    assert rotated.status_code == 200 and rotated.json()["revoked"] is True
    revoked = server.client.get(path)
    assert revoked.status_code == 410 and "revoked" in revoked.text
    fresh = server.admin.post(f"/api/connectors/{connector['id']}/share-links").json()["url"]
    assert server.client.get(fresh.removeprefix(server.url)).status_code == 200
    # Creating needs the admin token; bad input is named.
    assert server.client.post(f"/api/connectors/{connector['id']}/share-links").status_code == 401
    assert_error(
        server.admin.post(f"/api/connectors/{connector['id']}/share-links", json={"days": 91}),
        422,
        "invalid_share_link",
        "days: 91 must be a whole number from 1 to 90",
    )
    assert_error(
        server.admin.post("/api/connectors/con_nope/share-links", json={"days": 1}), 404, "unknown_connector"
    )


def test_one_error_code_per_kind_of_mistake(server: Server) -> None:
    """A connector's mistakes are invalid_connector whichever part found them; a credential's,
    invalid_credential; an adjustment's, invalid_adjustment."""
    post = server.admin.post
    assert_error(
        post("/api/connectors", json={"name": "x", "auth": {"method": "carrier_pigeon"}}),
        422,
        "invalid_connector",
        "auth.method",
    )
    assert_error(
        post("/api/connectors", json={"name": "x", "mode": "staging"}), 422, "invalid_connector", "mode"
    )
    assert_error(
        post(
            "/api/connectors",
            json={"name": "x", "auth": {"preset": "standard-webhooks"}, "secret": "whsec_not base64!!"},
        ),
        422,
        "invalid_connector",
        "secret: not valid base64",
    )
    connector = create_connector(server.admin, name="Codes")
    assert_error(
        server.admin.patch(
            f"/api/connectors/{connector['id']}", json={"auth": {"method": "header_token", "x": 1}}
        ),
        422,
        "invalid_connector",
        "auth.x",
    )
    assert_error(
        post(f"/api/connectors/{connector['id']}/credentials", json={"value": ""}),
        422,
        "invalid_credential",
        "value:",
    )
    profile = send(server.client, connector, _event(unique_email("codes"), 1)).json()["results"][0]["profile"]
    assert_error(
        post(f"/api/profiles/{profile['id']}/adjustments", json=[1]), 422, "invalid_adjustment", "body"
    )
