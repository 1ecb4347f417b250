"""Rate limits on ingest (issue 11): per connector, and per address for refusals; 429 with
Retry-After; in memory, and shared between processes through the Redis server on this machine."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from settings import load_settings
from tests.conftest import ADMIN_TOKEN, Server, free_port, serve
from tests.helpers import create_connector, send, unique_email

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def limited(database_url: str) -> Iterator[Server]:
    settings = load_settings(
        environ={},
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        port=free_port(),
        rate_limit_connector="5/minute",
        rate_limit_refused="3/minute",
    )
    with serve(settings) as running:
        yield running


def test_a_connector_over_its_limit_gets_429_with_retry_after(limited: Server) -> None:
    connector = create_connector(limited.admin, name="Busy")
    answers = [send(limited.client, connector, {"id": f"b{i}", "email": unique_email()}) for i in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    other = create_connector(limited.admin, name="Quiet")  # another connector has its own budget
    assert send(limited.client, other, {"id": "q1", "email": unique_email()}).status_code == 200
    stats = limited.admin.get("/api/stats/overview").json()
    assert stats["rateLimitedRequests"]["connector"] >= 1


def test_an_address_that_keeps_being_refused_is_made_to_wait(limited: Server) -> None:
    connector = create_connector(limited.admin, name="Guessed")
    for _ in range(2):
        assert send(limited.client, connector, {"id": "x"}, token="wrong-token").status_code == 401
    assert limited.client.post("/ingest/con_made_up", json={}).status_code == 404
    # The budget of refusals is used up: even a right request from this address waits now.
    blocked = send(limited.client, connector, {"id": "ok", "email": unique_email()})
    assert blocked.status_code == 429 and "too many refused requests" in blocked.json()["error"]["message"]
    assert int(blocked.headers["retry-after"]) >= 1


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_processes_share_one_budget_through_redis(database_url: str) -> None:
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                serve(
                    load_settings(
                        environ={},
                        database_url=database_url,
                        admin_token=ADMIN_TOKEN,
                        port=free_port(),
                        rate_limit_connector="4/minute",
                        rate_limit_refused="off",
                        redis_url=REDIS_URL,
                    )
                )
            )
            for _ in range(2)
        ]
        connector = create_connector(servers[0].admin, name="Shared budget")
        codes = [
            send(servers[i % 2].client, connector, {"id": f"s{i}", "email": unique_email()}).status_code
            for i in range(6)
        ]
        assert codes == [200, 200, 200, 200, 429, 429], codes


def test_a_bad_rate_stops_the_service_at_start() -> None:
    from errors import InvalidInput

    with pytest.raises(InvalidInput, match="INBOUND_RATE_LIMIT_CONNECTOR: 'lots' is not a rate"):
        load_settings(environ={"INBOUND_RATE_LIMIT_CONNECTOR": "lots"})
    with pytest.raises(InvalidInput, match="INBOUND_REDIS_URL"):
        load_settings(environ={"INBOUND_REDIS_URL": "localhost:6379"})
