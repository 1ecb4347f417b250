"""Outgoing webhooks end to end, on SQLite and PostgreSQL: the real server sends to a real receiver
over HTTP, and every message is verified by the `standardwebhooks` package (an independent oracle
of the signature). Each test has a database of its own: endpoints are global, and a failing
receiver must not be retried by the suite's other servers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from settings import load_settings
from tests.conftest import ADMIN_TOKEN, NO_DATE_BOUNDS, Server, _fresh_database_url, free_port, serve
from tests.helpers import assert_error, create_connector, send, token_of, unique_email
from tests.webhook_receiver import Receiver, receiving


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    url, cleanup = _fresh_database_url(backend, tmp_path)
    yield url
    cleanup()  # type: ignore[operator]


def _server(url: str, **overrides: Any) -> Any:
    settings = load_settings(
        environ={},
        database_url=url,
        admin_token=ADMIN_TOKEN,
        port=free_port(),
        rate_limit_refused="off",
        **NO_DATE_BOUNDS,
        **{"webhook_retry_schedule": "1s,1s,1s", "webhook_timeout_seconds": 2, **overrides},
    )
    return serve(settings)


@pytest.fixture
def running(fresh_url: str) -> Iterator[Server]:
    with _server(fresh_url) as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving(free_port()) as found:
        yield found


def _endpoint(server: Server, receiver: Receiver, **body: Any) -> dict[str, Any]:
    answer = server.admin.post(
        "/api/webhook-endpoints",
        json={"url": receiver.url, "kinds": ["event.processed", "points.awarded"], **body},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _connector_with_rule(server: Server, points: int = 25, **connector: Any) -> dict[str, Any]:
    created = create_connector(server.admin, **connector)
    rule = {
        "name": "Purchase bonus",
        "status": "active",
        "source": {"connector": created["id"]},
        "reward": {"fixed": points},
    }
    assert server.admin.post("/api/rules", json=rule).status_code == 201
    return created


def _messages(server: Server, endpoint_id: str, **params: Any) -> list[dict[str, Any]]:
    answer = server.admin.get(f"/api/webhook-endpoints/{endpoint_id}/messages", params=params)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def _settled(
    server: Server, endpoint_id: str, count: int, status: str, timeout: float = 20
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        found = _messages(server, endpoint_id, status=status)
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) >= count, (status, _messages(server, endpoint_id))
            return found
        time.sleep(0.1)


def test_an_award_sends_signed_messages_that_standardwebhooks_verifies(
    running: Server, receiver: Receiver
) -> None:
    endpoint = _endpoint(running, receiver, description="CRM sync")
    assert endpoint["secret"].startswith("whsec_") and endpoint["status"] == "enabled"
    connector = _connector_with_rule(running, points=25)
    email = unique_email()
    answer = send(running.client, connector, {"id": "order-1", "email": email, "at": "2026-12-01T10:00:00Z"})
    result = answer.json()["results"][0]
    assert result["status"] == "processed", result

    processed = receiver.wait_for(1, type="event.processed")[0].json
    awarded = receiver.wait_for(1, type="points.awarded")[0].json
    payloads = receiver.verified(endpoint["secret"])  # raises if any signature is wrong
    assert len(payloads) == 2
    assert processed["data"]["eventId"] == result["eventId"]
    assert processed["data"]["profile"]["value"] == email
    assert processed["data"]["balance"] == 25 and processed["data"]["test"] is False
    assert [a["points"] for a in processed["data"]["awards"]] == [25]
    assert awarded["data"]["points"] == 25 and awarded["data"]["rule"] == "Purchase bonus"
    assert awarded["data"]["entryId"] == result["awards"][0]["entryId"]
    assert awarded["data"]["clientEventId"] == "order-1"

    delivered = _settled(running, endpoint["id"], 2, "delivered")
    detail = running.admin.get(f"/api/webhook-messages/{delivered[0]['id']}").json()
    assert detail["attempts"] == 1 and detail["lastStatusCode"] == 200
    assert [a["statusCode"] for a in detail["attemptLog"]] == [200]
    assert detail["attemptLog"][0]["latencyMs"] >= 0 and detail["attemptLog"][0]["responseExcerpt"] == "ok"
    ids = {d.webhook_id for d in receiver.deliveries}
    assert ids == {m["messageId"] for m in delivered}


def test_a_message_being_sent_says_so_until_its_attempt_ends(running: Server, receiver: Receiver) -> None:
    endpoint = _endpoint(running, receiver, kinds=["points.awarded"])
    gate = threading.Event()
    receiver.hold = gate  # the receiver keeps the request open: the attempt is under way
    connector = _connector_with_rule(running)
    send(running.client, connector, {"id": "o-1", "email": unique_email(), "at": "2026-12-01T10:00:00Z"})
    assert receiver.holding.wait(20)
    [message] = _messages(running, endpoint["id"])
    assert (message["status"], message["sending"], message["attempts"]) == ("pending", True, 1)
    gate.set()  # the receiver hangs up without an answer: the attempt ends, failed
    deadline = time.monotonic() + 20
    while _messages(running, endpoint["id"])[0]["sending"]:
        assert time.monotonic() < deadline, "the attempt never ended"
        time.sleep(0.05)
    [message] = _messages(running, endpoint["id"])
    assert (message["status"], message["attempts"]) == ("pending", 1)
    detail = running.admin.get(f"/api/webhook-messages/{message['id']}").json()
    assert len(detail["attemptLog"]) == 1 and detail["sending"] is False


def test_a_message_sent_again_by_hand_says_it_is_being_sent(running: Server, receiver: Receiver) -> None:
    """ "Send again" starts a fresh schedule (attempts 0) and keeps the attempt log: the message
    being sent after it must still read as being sent, not as waiting for a retry."""
    endpoint = _endpoint(running, receiver, kinds=["points.awarded"])
    connector = _connector_with_rule(running)
    send(running.client, connector, {"id": "o-2", "email": unique_email(), "at": "2026-12-01T10:00:00Z"})
    [delivered] = _settled(running, endpoint["id"], 1, "delivered")
    gate = threading.Event()
    receiver.hold = gate
    again = running.admin.post(f"/api/webhook-messages/{delivered['id']}/redeliver")
    assert again.status_code == 202, again.text
    answer = again.json()
    assert (answer["status"], answer["attempts"], answer["sending"]) == ("pending", 0, False)
    assert receiver.holding.wait(20), "the message was not sent again"
    [message] = _messages(running, endpoint["id"])
    assert (message["status"], message["sending"], message["attempts"]) == ("pending", True, 1)
    gate.set()  # the receiver hangs up: the attempt ends, failed, and waits for its retry
    deadline = time.monotonic() + 20
    while _messages(running, endpoint["id"])[0]["sending"]:
        assert time.monotonic() < deadline, "the attempt never ended"
        time.sleep(0.05)
    detail = running.admin.get(f"/api/webhook-messages/{message['id']}").json()
    assert (detail["status"], detail["attempts"], detail["sending"]) == ("pending", 1, False)
    assert len(detail["attemptLog"]) == 2 and detail["attemptLog"][0]["statusCode"] == 200


def test_a_failing_receiver_gets_the_same_message_again_until_it_answers(
    running: Server, receiver: Receiver
) -> None:
    endpoint = _endpoint(running, receiver, kinds=["points.awarded"])
    receiver.answers = [500, 503]
    connector = _connector_with_rule(running)
    send(running.client, connector, {"id": "o-1", "email": unique_email(), "at": "2026-12-01T10:00:00Z"})

    arrivals = receiver.wait_for(3)
    assert len({d.webhook_id for d in arrivals}) == 1  # one message, three attempts, one id
    assert len({d.body for d in arrivals}) == 1  # the same bytes every time
    receiver.verified(endpoint["secret"])
    message = _settled(running, endpoint["id"], 1, "delivered")[0]
    detail = running.admin.get(f"/api/webhook-messages/{message['id']}").json()
    assert [a["statusCode"] for a in detail["attemptLog"]] == [500, 503, 200]
    assert detail["attemptLog"][0]["responseExcerpt"] == "receiver says 500"
    assert running.admin.get(f"/api/webhook-endpoints/{endpoint['id']}").json()["failingSince"] is None


def test_a_message_that_keeps_failing_is_failed_and_the_endpoint_disabled(fresh_url: str) -> None:
    with (
        receiving(free_port()) as receiver,
        _server(fresh_url, webhook_retry_schedule="1s", webhook_disable_after_seconds=0) as server,
    ):
        endpoint = _endpoint(server, receiver, kinds=["event.processed"])
        receiver.always = 502
        connector = _connector_with_rule(server)
        send(server.client, connector, {"id": "o-1", "email": unique_email(), "at": "2026-12-01T10:00:00Z"})
        failed = _settled(server, endpoint["id"], 1, "failed")[0]
        assert failed["attempts"] == 2 and "HTTP 502" in failed["lastError"]
        found = server.admin.get(f"/api/webhook-endpoints/{endpoint['id']}").json()
        assert found["status"] == "disabled"
        assert "failed for good after 2 attempts" in found["disabledReason"]
        assert found["messages"] == {"pending": 0, "delivered": 0, "failed": 1}

        # Disabled: new events write no message for it.
        send(server.client, connector, {"id": "o-2", "email": unique_email(), "at": "2026-12-01T10:00:00Z"})
        assert len(_messages(server, endpoint["id"])) == 1

        # Fixed and enabled again: a test send goes through; the failed message is redelivered by hand.
        receiver.always = 200
        enabled = server.admin.patch(f"/api/webhook-endpoints/{endpoint['id']}", json={"status": "enabled"})
        assert enabled.json()["status"] == "enabled" and enabled.json()["disabledReason"] is None
        assert enabled.json()["messages"] == {"pending": 0, "delivered": 0, "failed": 1}  # its own only
        sent = server.admin.post(f"/api/webhook-endpoints/{endpoint['id']}/test")
        assert sent.status_code == 202 and sent.json()["kind"] == "webhook.test"
        again = server.admin.post(f"/api/webhook-messages/{failed['id']}/redeliver")
        assert again.status_code == 202 and again.json()["status"] == "pending"
        _settled(server, endpoint["id"], 2, "delivered")
        redelivered = receiver.wait_for(3, type="event.processed")
        assert {d.webhook_id for d in redelivered} == {failed["messageId"]}
        receiver.verified(endpoint["secret"])


def test_a_rotated_secret_signs_beside_the_previous_one_while_the_overlap_lasts(
    running: Server, receiver: Receiver
) -> None:
    endpoint = _endpoint(running, receiver, kinds=["event.processed"])
    rotated = running.admin.post(
        f"/api/webhook-endpoints/{endpoint['id']}/rotate-secret", json={"keepPreviousSeconds": 3600}
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != endpoint["secret"] and rotated.json()["previousSecretValidUntil"]
    connector = _connector_with_rule(running)
    send(running.client, connector, {"id": "o-1", "email": unique_email(), "at": "2026-12-01T10:00:00Z"})
    delivery = receiver.wait_for(1)[0]
    assert len(delivery.headers["webhook-signature"].split(" ")) == 2
    receiver.verified(endpoint["secret"])  # a receiver still on the old secret verifies
    receiver.verified(new_secret)  # and so does one already on the new

    # With no overlap, only the new secret signs.
    running.admin.post(
        f"/api/webhook-endpoints/{endpoint['id']}/rotate-secret", json={"keepPreviousSeconds": 0}
    )
    running.admin.post(f"/api/webhook-endpoints/{endpoint['id']}/test")
    latest = receiver.wait_for(1, type="webhook.test")[0]
    assert len(latest.headers["webhook-signature"].split(" ")) == 1


def test_test_data_goes_to_test_endpoints_and_live_data_to_live_ones(
    running: Server, receiver: Receiver
) -> None:
    live = _endpoint(running, receiver, kinds=["event.processed"])
    test = _endpoint(running, receiver, kinds=["event.processed"], test=True)
    connector = _connector_with_rule(running, testSecret=True)
    test_token = token_of(connector, test=True)
    send(
        running.client,
        connector,
        {"id": "t-1", "email": unique_email(), "at": "2026-12-01T10:00:00Z"},
        token=test_token,
    )
    send(running.client, connector, {"id": "l-1", "email": unique_email(), "at": "2026-12-01T10:00:00Z"})
    both = receiver.wait_for(2)
    by_test = {d.json["data"]["test"]: d for d in both}
    assert set(by_test) == {True, False}
    assert [m["kind"] for m in _messages(running, live["id"])] == ["event.processed"]
    assert _messages(running, live["id"])[0]["test"] is False
    assert _messages(running, test["id"])[0]["test"] is True


def test_mistakes_in_endpoints_are_named(running: Server) -> None:
    post = running.admin.post
    assert_error(
        post("/api/webhook-endpoints", json={"kinds": ["event.processed"]}),
        422,
        "invalid_webhook_endpoint",
        "url: is required",
    )
    assert_error(
        post("/api/webhook-endpoints", json={"url": "ftp://x", "kinds": ["event.processed"]}),
        422, "invalid_webhook_endpoint", 'url: "ftp://x" must be an http:// or https:// URL',
    )  # fmt: skip
    assert_error(
        post("/api/webhook-endpoints", json={"url": "https://x.test/h", "kinds": ["points.gained"]}),
        422, "invalid_webhook_endpoint", 'kinds[0]: "points.gained" is not a kind; use one of',
    )  # fmt: skip
    assert_error(
        post("/api/webhook-endpoints", json={"url": "https://x.test/h", "kinds": []}),
        422, "invalid_webhook_endpoint", "kinds: [] must be a non-empty list",
    )  # fmt: skip
    assert_error(
        post("/api/webhook-endpoints", json={"url": "https://x.test", "kinds": ["event.processed"], "x": 1}),
        422, "invalid_webhook_endpoint", "x: unknown field",
    )  # fmt: skip
    assert_error(
        running.admin.get("/api/webhook-endpoints/we_nope"), 404, "unknown_webhook_endpoint", "we_nope"
    )
    assert_error(running.admin.get("/api/webhook-messages/12345"), 404, "unknown_webhook_message")
    assert_error(running.admin.get("/api/webhook-messages/abc"), 422, "invalid_parameter")
    created = post(
        "/api/webhook-endpoints", json={"url": "https://x.test/h", "kinds": ["event.processed"]}
    ).json()
    assert_error(
        post(f"/api/webhook-endpoints/{created['id']}/rotate-secret", json={"keepPreviousSeconds": -1}),
        422, "invalid_webhook_endpoint", "keepPreviousSeconds: -1",
    )  # fmt: skip
    assert_error(
        running.admin.get(f"/api/webhook-endpoints/{created['id']}/messages", params={"status": "sent"}),
        422, "invalid_parameter", "status: 'sent'",
    )  # fmt: skip
    assert "secret" not in running.admin.get(f"/api/webhook-endpoints/{created['id']}").json()
    # A change names only what changes: the rest (the description) stays as it was.
    described = post("/api/webhook-endpoints", json={"url": "https://y.test", "kinds": ["event.processed"],
                                                    "description": "CRM"}).json()  # fmt: skip
    patched = running.admin.patch(
        f"/api/webhook-endpoints/{described['id']}", json={"status": "disabled"}
    ).json()
    assert patched["description"] == "CRM" and patched["status"] == "disabled"
    assert running.admin.delete(f"/api/webhook-endpoints/{created['id']}").status_code == 204
    assert running.admin.get(f"/api/webhook-endpoints/{created['id']}").status_code == 404


def test_an_endpoint_gets_no_message_of_a_kind_it_did_not_subscribe_to(
    running: Server, receiver: Receiver
) -> None:
    endpoint = _endpoint(running, receiver, kinds=["badge.earned"])
    connector = _connector_with_rule(running)
    send(running.client, connector, {"id": "o-1", "email": unique_email(), "at": "2026-12-01T10:00:00Z"})
    running.admin.post(f"/api/webhook-endpoints/{endpoint['id']}/test")  # a marker that does arrive
    receiver.wait_for(1, type="webhook.test")
    assert [m["kind"] for m in _messages(running, endpoint["id"])] == ["webhook.test"]
    assert [d.json["type"] for d in receiver.deliveries] == ["webhook.test"]
