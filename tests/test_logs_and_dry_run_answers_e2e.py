"""Request detail shows the kept headers and query, the admin-log filter is checked, the pixel 405
names the API field, and a dry run answers in one shape. Over real HTTP on both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, token_of, unique_email
from tests.test_replay_inputs_e2e import AUTHS, GOOD, post, secrets_of


@pytest.mark.parametrize("method", sorted(AUTHS))
def test_request_detail_shows_headers_and_query_without_credentials(server: Server, method: str) -> None:
    auth, secret = AUTHS[method]
    connector = create_connector(server.admin, auth=auth, secret=secret, mapping=GOOD)
    email = unique_email()
    answer, signed = post(server, connector, auth, secret, email=email, id="d1", amount=3)
    response = server.admin.get(f"/api/requests/{answer['requestId']}")
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["query"] == {"email": email, "src": "shop"}
    assert detail["headers"]["x-topic"] == "orders/paid"
    assert detail["headers"]["content-type"] == "application/json"
    assert not {"authorization", "cookie"} & set(detail["headers"])
    assert not {name.lower() for name in signed.headers} & set(detail["headers"])
    for secret_text in secrets_of(secret, signed):
        assert secret_text not in response.text
    # The list stays as it was: headers and query are shown on the one request only.
    listed = server.admin.get("/api/requests", params={"connector": connector["id"]}).json()["items"]
    assert "headers" not in listed[0] and "query" not in listed[0]


def test_request_detail_of_a_refused_request_keeps_no_token(server: Server) -> None:
    connector = create_connector(server.admin)
    refused = server.client.post(
        server.ingest_url(connector["id"]),
        params={"token": "wrong-token-0123456789", "utm": "mail"},
        content=json.dumps({"id": "r1", "email": unique_email()}),
        headers={"Content-Type": "application/json", "Authorization": "Bearer hunter2-secret"},
    )
    assert refused.status_code == 401
    request_id = server.admin.get("/api/requests", params={"connector": connector["id"]}).json()["items"][0][
        "id"
    ]
    response = server.admin.get(f"/api/requests/{request_id}")
    detail = response.json()
    assert detail["query"] == {"utm": "mail"} and "authorization" not in detail["headers"]
    assert "wrong-token-0123456789" not in response.text and "hunter2-secret" not in response.text


def test_admin_log_action_filter_is_checked(server: Server) -> None:
    error = assert_error(
        server.admin.get("/api/admin-log", params={"action": "purge"}),
        422,
        "invalid_parameter",
        "action",
        "'purge'",
        "purge_test_data",
        "replay",
    )
    assert error["message"].startswith("action:")
    connector = create_connector(server.admin, mode="test")
    send(server.client, connector, {"id": "a1", "email": unique_email()})
    assert server.admin.post(f"/api/connectors/{connector['id']}/purge-test-data").status_code == 200
    for action in ("purge_test_data", "replay"):
        response = server.admin.get("/api/admin-log", params={"action": action, "connector": connector["id"]})
        assert response.status_code == 200, response.text
        assert [item["action"] for item in response.json()["items"]] == (
            ["purge_test_data"] if action == "purge_test_data" else []
        )
    assert server.admin.get("/api/admin-log", params={"action": ""}).status_code == 200  # no filter


def test_get_on_a_connector_without_pixels_names_the_api_field(server: Server) -> None:
    connector = create_connector(server.admin)
    error = assert_error(
        server.client.get(server.ingest_url(connector["id"]), params={"token": token_of(connector)}),
        405,
        "method_not_allowed",
        "allowGet",
    )
    assert "allow_get" not in error["message"]


def _dry_run(server: Server, connector: dict[str, Any], **request: Any) -> dict[str, Any]:
    response = server.admin.post(f"/api/connectors/{connector['id']}/dry-run", json=request)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_dry_run_answers_with_the_same_keys_when_the_body_does_not_parse(server: Server) -> None:
    connector = create_connector(server.admin)
    query = {"token": token_of(connector)}
    good = _dry_run(server, connector, bodyText=json.dumps({"id": 1, "email": unique_email()}), query=query)
    broken = _dry_run(server, connector, bodyText='{"id": 1', contentType="application/json", query=query)
    assert good["parse"]["ok"] is True and broken["parse"]["ok"] is False
    assert broken["parse"]["status"] == 400
    assert list(broken) == list(good)
    assert broken["test"] is False and broken["counts"] == {} and broken["results"] == []
    # A test-mode connector's failed parse still says it would be test data.
    test_mode = create_connector(server.admin, mode="test")
    refused = _dry_run(server, test_mode, bodyText="[", query={"token": token_of(test_mode)})
    assert refused["parse"]["ok"] is False and refused["test"] is True and refused["counts"] == {}


def test_a_dry_run_warns_of_a_profile_kind_no_other_connector_uses(server: Server) -> None:
    # docs/mapping.md once used kind "email" where everything else used "default": the same person
    # became two profiles with two balances, and nothing said so.
    shop = create_connector(server.admin)
    assert send(server.client, shop, {"id": "k1", "email": unique_email()}).status_code == 200
    lonely = f"email{unique_email().split('@')[0][-8:]}"  # a kind no test has used
    mapping = '{"clientEventId": id, "profile": {"kind": "KIND", "value": email}}'.replace("KIND", lonely)
    newsletter = create_connector(server.admin, mapping=mapping)
    sample = {"body": {"id": "k2", "email": unique_email()}}
    report = server.admin.post(f"/api/connectors/{newsletter['id']}/dry-run", json=sample).json()
    (warning,) = report["warnings"]
    assert f"profile.kind '{lonely}'" in warning and "'default'" in warning, warning
    # The kind everyone uses, and a dry run that maps nothing, have no warning (but the key).
    assert server.admin.post(f"/api/connectors/{shop['id']}/dry-run", json=sample).json()["warnings"] == []
    unparsable = {"bodyText": "{nope", "contentType": "application/json"}
    failed = server.admin.post(f"/api/connectors/{shop['id']}/dry-run", json=unparsable).json()
    assert failed["warnings"] == []
