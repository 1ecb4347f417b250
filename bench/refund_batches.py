"""1000-event batches with refunds among the orders: events/s and server CPU per event.

    .venv/bin/python bench/refund_batches.py [--every 100] [--batches 6]

Starts Inbound on a fresh SQLite file with the ten bench rules (bench/ingest.rules) and sends
1000-event batches one at a time, in which every `--every`-th event is a refund (fraction 0.5)
of an order sent earlier in the same batch; `--every 0` sends no refund. Refunds take the
per-chunk path (pipeline/batch.py), the orders between them the group writer: this shows what a
refund costs a batch. Prints events/s, server CPU per event (from /proc, the server and its
mapping workers) and the ledger check. One client, one request at a time: it measures the
server's cost per event, not its throughput under load (bench/wrk_ingest.py does that).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import ADMIN, SECRET, event, free_port, rules, start
from bench.wrk_ingest import cpu_seconds
from connectors.auth import parse_auth_settings, sign

MAPPING = (
    '{"clientEventId": id, "profile": {"value": email},'
    ' "reverses": refund ? {"clientEventId": refund, "fraction": 0.5},'
    ' "payload": {"timestamp": at, "tags": [{"name": "channel", "value": channel}],'
    ' "counters": [{"name": "amount", "value": amount}]}}'
)
AUTH = {"method": "hub_signature", "preset": "github"}


def batch(number: int, every: int) -> bytes:
    events: list[dict[str, Any]] = []
    for n in range(1000):
        one = event(number * 1000 + n + 10_000_000)
        if every and n % every == every - 1:
            one["refund"] = events[n - max(1, every // 2)]["id"]  # an order earlier in the batch
        events.append(one)
    return json.dumps(events).encode()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--every", type=int, default=100, help="one refund every N events (0: none)")
    parser.add_argument("--batches", type=int, default=6)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="inbound-bench-")
    port = free_port()
    env = {
        **os.environ,
        "INBOUND_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
        "INBOUND_ADMIN_TOKEN": ADMIN,
        "INBOUND_PORT": str(port),
        "INBOUND_LOG_LEVEL": "warning",
        "INBOUND_MAX_BODY_BYTES": str(16 * 1024 * 1024),
    }
    server = start([sys.executable, "-m", "cli", "serve"], env, port)
    try:
        admin = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {ADMIN}"}, timeout=300
        )
        connector = admin.post(
            "/api/connectors", json={"name": "refunds", "auth": AUTH, "mapping": MAPPING, "secret": SECRET}
        )
        connector.raise_for_status()
        connector_id = connector.json()["id"]
        for rule in rules(connector_id):
            admin.post("/api/rules", json=rule).raise_for_status()
        settings = parse_auth_settings(AUTH)
        bodies = [batch(b, args.every) for b in range(args.batches)]
        cpu_before, started = cpu_seconds(server.pid), time.monotonic()
        for body in bodies:
            signature = sign(settings, SECRET, body, now=time.time()).headers
            headers = {"Content-Type": "application/json", **signature}
            answer = admin.post(f"/ingest/{connector_id}", content=body, headers=headers)
            answer.raise_for_status()
        elapsed, cpu = time.monotonic() - started, cpu_seconds(server.pid) - cpu_before
        events = 1000 * len(bodies)
        refunds = f"one refund every {args.every} events" if args.every else "no refunds"
        print(f"{len(bodies)} batches of 1000 events, ten rules, {refunds}:")
        print(f"  {events / elapsed:.0f} events/s, {cpu / events * 1e6:.0f} µs of server CPU per event")
        check = admin.get("/api/ledger/check").json()
        print("ledger check: ok" if check["ok"] else f"ledger check: FAILED {check['mismatches'][:5]}")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
