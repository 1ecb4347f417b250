"""Outgoing webhooks when processes die or run side by side, on SQLite and PostgreSQL.

* The server is killed with SIGKILL while a receiver holds a delivery open: after a restart on the
  same database the message arrives again, with the same `webhook-id`, once its lease runs out.
* Two server processes deliver from one outbox: every message arrives, none twice (they claim
  with FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's single writer on SQLite).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ADMIN_TOKEN, free_port
from tests.helpers import create_connector, send, unique_email
from tests.test_webhooks_e2e import fresh_url  # noqa: F401 - the fixture
from tests.webhook_receiver import receiving

ROOT = Path(__file__).resolve().parent.parent
HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@contextmanager
def server_process(database_url: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "INBOUND_DATABASE_URL": database_url,
        "INBOUND_ADMIN_TOKEN": ADMIN_TOKEN,
        "INBOUND_PORT": str(port),
        "INBOUND_LOG_LEVEL": "warning",
        "INBOUND_MAX_PAST_DAYS": "36500",
        "INBOUND_WEBHOOK_TIMEOUT_SECONDS": "1",  # a lease of 2 × 1 + 5 = 7 s
        "INBOUND_WEBHOOK_RETRY_SCHEDULE": "1s,1s,1s",
    }
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {proc.stderr.read() if proc.stderr else ''!r}")
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()


def _setup(base: str, receiver_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    with httpx.Client(base_url=base, headers=HEADERS, timeout=30) as admin:
        endpoint = admin.post(
            "/api/webhook-endpoints", json={"url": receiver_url, "kinds": ["event.processed"]}
        )
        assert endpoint.status_code == 201, endpoint.text
        connector = create_connector(admin)
    return endpoint.json(), connector


def test_a_delivery_cut_by_sigkill_is_made_again_after_a_restart(fresh_url: str) -> None:  # noqa: F811
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with receiving(free_port()) as receiver:
        held = threading.Event()
        receiver.hold = held
        with server_process(fresh_url, port) as proc:
            endpoint, connector = _setup(base, receiver.url)
            with httpx.Client(base_url=base, timeout=30) as client:
                answer = send(
                    client, connector, {"id": "o-1", "email": unique_email(), "at": "2026-12-01T10:00:00Z"}
                )
            assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "processed"
            assert receiver.holding.wait(20), "the first delivery never arrived"
            proc.send_signal(signal.SIGKILL)  # mid-delivery: the receiver has not answered
            proc.wait(timeout=10)
        held.set()
        first = receiver.wait_for(1)[0]
        with server_process(fresh_url, port):
            again = receiver.wait_for(2, timeout=30)
            assert {d.webhook_id for d in again} == {first.webhook_id}
            assert again[0].body == again[1].body
            receiver.verified(endpoint["secret"])
            with httpx.Client(base_url=base, headers=HEADERS, timeout=30) as admin:
                deadline = time.monotonic() + 20
                while True:
                    items = admin.get(f"/api/webhook-endpoints/{endpoint['id']}/messages").json()["items"]
                    if items[0]["status"] == "delivered" or time.monotonic() > deadline:
                        break
                    time.sleep(0.1)
            assert len(items) == 1 and items[0]["status"] == "delivered", items
            assert items[0]["attempts"] == 2  # the cut attempt counts


def test_two_processes_deliver_every_message_once(fresh_url: str) -> None:  # noqa: F811
    ports = [free_port(), free_port()]
    with (
        receiving(free_port()) as receiver,
        server_process(fresh_url, ports[0]),
        server_process(fresh_url, ports[1]),
    ):
        endpoint, connector = _setup(f"http://127.0.0.1:{ports[0]}", receiver.url)
        time.sleep(0.2)
        sent = 0
        for i in range(40):
            with httpx.Client(base_url=f"http://127.0.0.1:{ports[i % 2]}", timeout=30) as client:
                answer = send(
                    client, connector, {"id": f"o-{i}", "email": unique_email(), "at": "2026-12-01T10:00:00Z"}
                )
                assert answer.json()["results"][0]["status"] == "processed", answer.text
                sent += 1
        arrived = receiver.wait_for(sent, timeout=30)
        time.sleep(1.5)  # anything sent twice would have arrived by now
        ids = [d.webhook_id for d in receiver.deliveries]
        assert len(ids) == len(set(ids)) == sent, f"{len(ids)} deliveries of {len(set(ids))} messages"
        assert sorted(d.json["data"]["clientEventId"] for d in arrived) == sorted(
            f"o-{i}" for i in range(sent)
        )
        receiver.verified(endpoint["secret"])
