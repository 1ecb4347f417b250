"""GET /metrics (Prometheus): counts what ingest did, for the admin token only; added up over
every worker of `inbound serve --workers 2`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import ADMIN_TOKEN, Server, free_port
from tests.helpers import create_connector, send, unique_email

ROOT = Path(__file__).resolve().parent.parent


def _value(text: str, name: str, **labels: str) -> float:
    """The sample of `name` with exactly these labels (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if found == labels:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_events_and_points(server: Server) -> None:
    connector = create_connector(server.admin, name="Metered")
    rule = {
        "name": "Metered",
        "status": "active",
        "source": {"connector": connector["id"]},
        "reward": {"fixed": 7},
    }
    rule_id = server.admin.post("/api/rules", json=rule).json()["id"]
    for i in range(3):
        assert send(server.client, connector, {"id": f"m{i}", "email": unique_email()}).status_code == 200
    assert (
        send(server.client, connector, {"id": "m0", "email": unique_email()}).status_code == 200
    )  # duplicate
    assert send(server.client, connector, {"id": "x"}, token="wrong-token").status_code == 401
    assert server.client.get("/metrics").status_code == 401  # the labels name connectors and rules
    text = server.admin.get("/metrics").text
    cid = connector["id"]
    assert _value(text, "inbound_ingest_requests_total", connector=cid, status="200", auth="accepted") == 4
    assert _value(text, "inbound_ingest_requests_total", connector=cid, status="401", auth="refused") == 1
    assert _value(text, "inbound_events_total", connector=cid, status="processed") == 3
    assert _value(text, "inbound_events_total", connector=cid, status="duplicate") == 1
    assert _value(text, "inbound_points_awarded_total", rule=rule_id) == 21
    assert "inbound_group_commit_events_bucket" in text and "inbound_ingest_seconds_bucket" in text


def test_metrics_show_what_waits_in_the_database(server: Server) -> None:
    """The outgoing webhook backlog per endpoint and the intrinsic events owed: read from the
    database at each scrape, so every process answers the same."""
    dead = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens: every delivery fails
    made = server.admin.post("/api/webhook-endpoints", json={"url": dead, "kinds": ["event.processed"]})
    assert made.status_code == 201, made.text
    endpoint = made.json()["id"]
    try:
        before = server.admin.get("/metrics").text
        assert _value(before, "inbound_webhook_backlog_messages", endpoint=endpoint) == 0
        connector = create_connector(server.admin, name="Backlogged")
        for i in range(2):
            assert send(server.client, connector, {"id": f"b{i}", "email": unique_email()}).status_code == 200
        text = server.admin.get("/metrics").text
        assert _value(text, "inbound_webhook_backlog_messages", endpoint=endpoint) == 2
        assert 0 <= _value(text, "inbound_webhook_backlog_oldest_seconds", endpoint=endpoint) < 60
        assert re.search(r"^inbound_intrinsic_events_owed \d", text, re.MULTILINE)
    finally:
        assert server.admin.delete(f"/api/webhook-endpoints/{endpoint}").status_code == 204


def test_two_workers_add_up_their_metrics(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "INBOUND_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'metrics.db'}",
        "INBOUND_ADMIN_TOKEN": ADMIN_TOKEN,
        "INBOUND_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    admin = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if admin.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        connector = create_connector(admin, name="Two workers")
        for i in range(20):  # a new connection each: both workers take some
            with httpx.Client(base_url=base, timeout=10) as client:
                assert send(client, connector, {"id": f"w{i}", "email": unique_email()}).status_code == 200
        totals = [
            _value(
                admin.get("/metrics").text,
                "inbound_events_total",
                connector=connector["id"],
                status="processed",
            )
            for _ in range(4)
        ]
        assert totals == [20.0] * 4, totals  # whichever worker answers, the whole deployment
    finally:
        admin.close()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def test_a_negative_award_is_counted_apart_and_never_fails_the_answer(server: Server) -> None:
    connector = create_connector(server.admin, name="Refunds metered")
    rule = {
        "name": "Take back",
        "status": "active",
        "source": {"connector": connector["id"]},
        "reward": {"fixed": -4},
    }
    rule_id = server.admin.post("/api/rules", json=rule).json()["id"]
    answer = send(server.client, connector, {"id": "n1", "email": unique_email()})
    assert answer.status_code == 200, answer.text  # was a 500 after the events were stored
    assert _value(server.admin.get("/metrics").text, "inbound_points_taken_total", rule=rule_id) == 4
