"""A server killed with SIGKILL under load loses no event it answered, and leaves none half-written.

The real server runs in its own process (`python -m cli serve`) on the test database; threads
send single events and batches with unique clientEventIds, and the server is killed mid-load.
After a restart on the same database:
* every event answered 200 is there, `processed`, with the awards its answer named;
* every stored event is whole: its request is logged, the entries its trace names exist, and
  every points entry belongs to a stored event;
* the ledger check is ok.
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

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def server_process(database_url: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "INBOUND_DATABASE_URL": database_url,
        "INBOUND_ADMIN_TOKEN": ADMIN_TOKEN,
        "INBOUND_PORT": str(port),
        "INBOUND_LOG_LEVEL": "warning",
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


def test_sigkill_under_load_loses_nothing_answered(database_url: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    answered: list[dict[str, Any]] = []
    lock = threading.Lock()
    stop = threading.Event()
    with server_process(database_url, port) as proc:
        admin = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)
        connector = create_connector(admin)
        rule = {"name": "Crash ten", "status": "active", "source": {"connector": connector["id"]}}
        admin.post("/api/rules", json={**rule, "reward": {"fixed": 10}}).raise_for_status()
        members = [unique_email("crash") for _ in range(20)]

        def load(worker: int) -> None:
            client = httpx.Client(base_url=base, timeout=10)
            n = 0
            while not stop.is_set():
                n += 1
                size = 1 if n % 4 else 25  # mostly single events, some batches
                body = [
                    {"id": f"crash-{worker}-{n}-{i}", "email": members[(worker + n + i) % len(members)]}
                    for i in range(size)
                ]
                try:
                    response = send(client, connector, body if size > 1 else body[0])
                except httpx.HTTPError:
                    continue  # the server died under this request: it was never answered
                if response.status_code == 200:
                    with lock:
                        answered.extend(response.json()["results"])
            client.close()

        threads = [threading.Thread(target=load, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        admin.close()
    assert len(answered) > 20, "the load never got going"

    with server_process(database_url, port):
        admin = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)
        assert admin.get("/api/ledger/check").json() == {"ok": True, "mismatches": []}
        stored = _events_of(admin, connector["id"])
        by_id = {e["id"]: e for e in stored}
        for result in answered:
            assert result["status"] == "processed", result
            event = by_id.get(result["eventId"])
            assert event is not None, f"answered but lost: {result}"
            assert event["status"] == "processed" and event["clientEventId"] == result["clientEventId"]
            assert [a["entryId"] for a in result["awards"]] == _entry_ids(event)
        logged = {r["id"] for r in _pages(admin, "/api/requests", {"connector": connector["id"]})}
        for event in stored:  # answered or not, every stored event is whole
            assert event["requestId"] in logged, f"event {event['id']} without its request log row"
            if event["status"] == "processed":
                assert len(_entry_ids(event)) == 1, event
        admin.close()


def _events_of(admin: httpx.Client, connector_id: str) -> list[dict[str, Any]]:
    return _pages(admin, "/api/events", {"connector": connector_id, "full": "true"})


def _pages(admin: httpx.Client, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = admin.get(path, params={**params, "limit": 500, **({"before": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        found.extend(body["items"])
        cursor = body["next"]
        if cursor is None:
            return found


def _entry_ids(event: dict[str, Any]) -> list[int]:
    ledger = next(s for s in event["trace"] if s.get("step") == "ledger")
    return [a["entryId"] for a in ledger["awards"]]
