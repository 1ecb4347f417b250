"""CDP SDKs, the real client libraries, against the real server: each with its default settings
but the host (the connector's URL) and fewer retries (so a failure fails fast), and every event
they send arrives processed. See docs/sdks.md."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server
from tests.helpers import create_connector, token_of

MAPPING = """(
  $calls := $call = "batch" ? batch : [$];
  $count($calls[type = "track"]) = 0 ? {"skip": "no track call: nothing to reward"} :
  $calls[type = "track"].{
    "clientEventId": messageId,
    "profile": {"kind": "user_id", "value": userId},
    "payload": {
      "timestamp": timestamp,
      "tags": [{"name": "event", "value": event}, {"name": "call", "value": $call}],
      "counters": [{"name": "revenue", "value": properties.revenue ? properties.revenue : 0}]
    }
  }
)"""


def _sdk_connector(
    server: Server, auth: dict[str, Any] | None = None, secret: str | None = None
) -> dict[str, Any]:
    extra = {"secret": secret} if secret else {}
    connector = create_connector(
        server.admin, name="CDP SDK", auth=auth or {"method": "basic"}, mapping=MAPPING, **extra
    )
    rule = {
        "name": "SDK purchase: 1 point per unit of revenue",
        "status": "active",
        "source": {"connector": connector["id"]},
        "conditions": {"tag": "event", "op": "eq", "value": "Order Completed"},
        "reward": {"points_per_unit": {"counter": "revenue", "per": 1, "points": 1}},
    }
    assert server.admin.post("/api/rules", json=rule).status_code == 201
    return connector


def _events(server: Server, connector: dict[str, Any]) -> list[dict[str, Any]]:
    return server.admin.get(f"/api/events?connector={connector['id']}&full=true&limit=100").json()["items"]


def _send_with(client: Any, user: str) -> None:
    client.identify(user_id=user, traits={"email": f"{user}@example.com"})  # earns nothing: no event
    client.track(user_id=user, event="Order Completed", properties={"revenue": 25})
    client.track(user_id=user, event="Product Viewed", properties={"sku": "45790-32"})
    client.flush()


@pytest.mark.parametrize("sdk", ["segment", "rudderstack"])
def test_a_segment_compatible_sdk_delivers_with_its_defaults(server: Server, sdk: str) -> None:
    connector = _sdk_connector(server)
    errors: list[Any] = []
    host = server.ingest_url(connector["id"])
    user = f"usr_{sdk}_{uuid.uuid4().hex[:8]}"
    if sdk == "segment":
        from segment.analytics.client import Client as Segment

        client = Segment(
            write_key=token_of(connector),
            host=host,
            on_error=lambda e, batch: errors.append(e),
            max_retries=1,
        )
    else:
        from rudderstack.analytics.client import Client as Rudder

        client = Rudder(
            write_key=token_of(connector),
            host=host,
            on_error=lambda e, batch: errors.append(e),
            max_retries=1,
        )
    _send_with(client, user)
    client.shutdown()
    assert errors == []
    events = _events(server, connector)
    assert sorted(e["status"] for e in events) == ["processed", "processed"]
    purchase = next(
        e for e in events if {"name": "event", "value": "Order Completed"} in e["mapped"]["payload"]["tags"]
    )
    assert {"name": "call", "value": "batch"} in purchase["mapped"]["payload"]["tags"]
    balance = server.admin.get(f"/api/profiles?kind=user_id&value={user}").json()["balance"]
    assert balance == 25
    requests = server.admin.get(f"/api/requests?connector={connector['id']}").json()["items"]
    assert requests and all(r["statusCode"] == 200 and r["auth"]["outcome"] == "accepted" for r in requests)
    if sdk == "rudderstack":  # gzip by default
        logged = server.admin.get(f"/api/requests/{requests[0]['id']}").json()
        assert logged["headers"]["content-encoding"] == "gzip"


def test_sdk_paths_are_checked_and_kept_for_replay(server: Server) -> None:
    connector = _sdk_connector(server)
    headers = {"Authorization": "Basic " + base64.b64encode(f"{token_of(connector)}:".encode()).decode()}
    single = {
        "type": "track",
        "event": "Order Completed",
        "userId": "usr_single_" + uuid.uuid4().hex[:6],
        "messageId": "m-" + uuid.uuid4().hex,
        "timestamp": "2026-12-01T10:00:00Z",
        "properties": {"revenue": 7},
    }
    # /v1/track posts one call, labelled as a form: read as JSON all the same.
    answer = server.client.post(
        f"/ingest/{connector['id']}/v1/track",
        content=json.dumps(single),
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["awards"][0]["points"] == 7
    logged = server.admin.get(f"/api/requests/{answer.headers['x-request-id']}").json()
    event = server.admin.get(f"/api/events/{logged['events'][0]['id']}").json()
    assert {"name": "call", "value": "track"} in event["mapped"]["payload"]["tags"]
    typo = server.client.post(f"/ingest/{connector['id']}/v1/tracks", json=single, headers=headers)
    assert typo.status_code == 404 and typo.json()["error"]["code"] == "unknown_sdk_call"
    assert "batch, track" in typo.json()["error"]["message"]
    wrong = server.client.post(
        f"/ingest/{connector['id']}/v1/track", json=single, headers={"Authorization": "Basic Zm9vOg=="}
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_token"
    # A replay maps with the path the request came to: the same call tag, nothing changed.
    replay = server.admin.post(
        f"/api/connectors/{connector['id']}/replay", json={"statuses": ["processed"], "apply": False}
    ).json()
    assert replay["counts"]["unchanged"] == replay["counts"]["events"] >= 1


def test_a_write_key_in_the_body_is_never_kept(server: Server) -> None:
    connector = _sdk_connector(server)
    token = token_of(connector)
    headers = {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}
    call = {
        "type": "track",
        "event": "Order Completed",
        "userId": "usr_wk_" + uuid.uuid4().hex[:6],
        "messageId": "m-" + uuid.uuid4().hex,
        "timestamp": "2026-12-01T10:00:00Z",
        "properties": {"revenue": 3},
    }
    answer = server.client.post(
        f"/ingest/{connector['id']}/v1/batch", json={"batch": [call], "writeKey": token}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    events = _events(server, connector)
    assert events[0]["raw"]["writeKey"] == "[redacted]"
    assert token not in json.dumps(events)


def test_a_short_secret_from_a_sender_is_accepted_with_a_warning(server: Server) -> None:
    created = server.admin.post(
        "/api/connectors", json={"name": "Short", "auth": {"method": "header_token"}, "secret": "abc123"}
    )
    assert created.status_code == 201, created.text
    credential = created.json()["credentials"][0]
    assert credential["value"] == "abc123"
    assert "6 characters is short" in credential["warnings"][0]
    long_enough = server.admin.post(
        f"/api/connectors/{created.json()['id']}/credentials", json={"value": "a-long-enough-secret"}
    ).json()
    assert "warnings" not in long_enough
    answer = server.client.post(
        f"/ingest/{created.json()['id']}", json={"x": 1}, headers={"X-Authorization": "abc123"}
    )
    assert answer.status_code == 200
    empty = server.admin.post("/api/connectors", json={"name": "Empty", "secret": "  "})
    assert empty.status_code == 422 and "non-empty" in empty.json()["error"]["message"]


NODE_SDKS = Path(__file__).parent / "node_sdks"


@pytest.mark.parametrize("sdk", ["segment", "rudderstack", "jitsu"])
def test_a_node_sdk_delivers_with_its_defaults(server: Server, sdk: str) -> None:
    """@segment/analytics-node, @rudderstack/rudder-sdk-node (gzip, JSON labelled as a form) and
    @jitsu/js (server to server, X-Write-Key), run by the machine's Node.js (`make test` installs
    them from tests/node_sdks/package-lock.json)."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the Node SDK tests"
    assert (NODE_SDKS / "node_modules").is_dir(), "run `make test` (it runs npm ci in tests/node_sdks)"
    # The SDK presets; jitsu's generates a write key of the form key:secret, the only one its SDK takes.
    connector = _sdk_connector(
        server,
        {"preset": {"segment": "segment-sdk", "rudderstack": "rudderstack-sdk", "jitsu": "jitsu"}[sdk]},
    )
    user = f"usr_node_{sdk}_{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [node, "send.js", sdk, server.ingest_url(connector["id"]), token_of(connector), user],
        cwd=NODE_SDKS,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"errors": []}, done.stdout + done.stderr
    events = _events(server, connector)
    statuses = sorted(e["status"] for e in events if e["status"] != "skipped")
    assert statuses == ["processed", "processed"], [(e["status"], e["reason"], e["raw"]) for e in events]
    skipped = [e for e in events if e["status"] == "skipped"]
    assert all(e["reason"] == "no track call: nothing to reward" for e in skipped)
    if sdk == "jitsu":  # identify is a call of its own there
        assert len(skipped) == 1
    balance = server.admin.get(f"/api/profiles?kind=user_id&value={user}").json()["balance"]
    assert balance == 25


def test_a_skipped_request_is_not_a_failure_and_a_replay_of_failures_leaves_it(server: Server) -> None:
    connector = _sdk_connector(server)
    headers = {"Authorization": "Basic " + base64.b64encode(f"{token_of(connector)}:".encode()).decode()}
    identify = {"type": "identify", "userId": "usr_skip", "messageId": "m-" + uuid.uuid4().hex}
    answer = server.client.post(f"/ingest/{connector['id']}/v1/identify", json=identify, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["counts"] == {"skipped": 1}
    assert body["results"][0]["reason"] == "no track call: nothing to reward"
    listed = server.admin.get(f"/api/events?connector={connector['id']}&status=skipped").json()["items"]
    assert len(listed) == 1 and listed[0]["reason"] == "no track call: nothing to reward"
    replay = server.admin.post(
        f"/api/connectors/{connector['id']}/replay", json={"statuses": ["failed"], "apply": False}
    ).json()
    assert replay["counts"]["rawEvents"] == 0
    asked = server.admin.post(
        f"/api/connectors/{connector['id']}/replay", json={"statuses": ["skipped"], "apply": False}
    ).json()
    assert asked["counts"]["rawEvents"] == 1


def test_sdk_presets_expand_to_plain_settings() -> None:
    from connectors.auth import generate_secret, parse_auth_settings, to_json
    from errors import InvalidInput

    assert to_json(parse_auth_settings({"preset": "segment-sdk"})) == {
        "method": "basic",
        "password": "ignore",
    }
    assert to_json(parse_auth_settings({"preset": "rudderstack-sdk"}))["method"] == "basic"
    jitsu = parse_auth_settings({"preset": "jitsu"})
    assert to_json(jitsu) == {"method": "header_token", "header": "X-Write-Key", "scheme": None}
    key, colon, secret = generate_secret(jitsu).partition(":")
    assert key and colon and len(secret) >= 32
    with pytest.raises(InvalidInput, match=r"auth\.header: .* cannot be set with preset"):
        parse_auth_settings({"preset": "jitsu", "header": "X-Other"})
