"""Ingest benchmark: Inbound against a bare Starlette endpoint, measured in the same run.

    make bench                      # or: .venv/bin/python bench/ingest.py --singles 2000 --batches 5

Starts both servers on loopback ports (Inbound on a fresh SQLite file, or on PostgreSQL with
--database-url), creates a hub-signature connector (GitHub preset) with ten active earning rules,
then sends single signed events and 1000-event batches. Prints events/s and p50/p99 latency for
each, Inbound's figures as a ratio of the bare endpoint's, and the result of the ledger check
(GET /api/ledger/check) after the load. Never part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.auth import parse_auth_settings, sign  # noqa: E402

ADMIN = "adm_bench_token_0123456789"
SECRET = "bench-secret-0123456789"
MAPPING = (
    '{"clientEventId": id, "profile": {"value": email}, "payload": {"timestamp": at,'
    ' "tags": [{"name": "channel", "value": channel}], "counters": [{"name": "amount", "value": amount}]}}'
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """The server, its log (stderr) in a temporary file: `server_log(proc)` reads it. A pipe that
    nobody reads during the run would fill up and stop the server at its next warning."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - open for the server's whole run
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    _logs[proc.pid] = log
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(server_log(proc)) from None
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server on port {port} did not start: {' '.join(cmd)}")


_logs: dict[int, Any] = {}


def server_log(proc: subprocess.Popen[bytes]) -> str:
    """What the server wrote to stderr so far."""
    log = _logs[proc.pid]
    log.seek(0)
    return log.read().decode(errors="replace")


def rules(connector_id: str) -> list[dict[str, object]]:
    """Ten active rules of the kinds marketers run, each of which fires on the bench's events.

    Bench amounts run from 5 to 304 over the channels web, app and store, all on one day, so:
    per-unit spend with a cap, channel bonuses (one limited to three a day), a once-a-day visit,
    a per-unit store rule with a monthly max_points, a campaign window, a multiplier on big app
    orders, and three spend tiers with `stop` (the best tier only; lowest priorities, so `stop`
    skips only the tiers below).
    """
    source = {"connector": connector_id}

    def rule(name: str, priority: int, reward: object, **more: object) -> dict[str, object]:
        return {
            "name": name,
            "status": "active",
            "priority": priority,
            "source": source,
            "reward": reward,
            **more,
        }

    per_unit = {"counter": "amount", "per": 1, "points": 1, "rounding": "floor", "cap": 500}
    return [
        rule("1 point per 1.00", 200, {"points_per_unit": per_unit}),
        rule(
            "Web bonus, 3 a day",
            150,
            {"fixed": 5},
            conditions={"tag": "channel", "op": "eq", "value": "web"},
            limits=[{"scope": "profile", "period": "day", "max_times": 3}],
        ),
        rule(
            "App bonus", 140, {"fixed": 7}, conditions={"tag": "channel", "op": "in", "value": ["app", "ios"]}
        ),
        rule(
            "Daily visit", 130, {"fixed": 10}, limits=[{"scope": "profile", "period": "day", "max_times": 1}]
        ),
        rule(
            "Store: 2 points per 10.00, 300 a month",
            120,
            {"points_per_unit": {"counter": "amount", "per": 10, "points": 2, "rounding": "floor"}},
            conditions={"tag": "channel", "op": "eq", "value": "store"},
            limits=[{"scope": "profile", "period": "month", "max_points": 300}],
        ),
        rule(
            "Black Friday week",
            115,
            {"fixed": 15},
            active_from="2026-11-16T00:00:00Z",
            active_until="2026-11-30T00:00:00Z",
        ),
        rule(
            "Double points on big app orders",
            110,
            {"multiplier": {"factor": 2, "rounding": "floor", "cap": 1000}},
            conditions={
                "all": [
                    {"counter": "amount", "op": "gte", "value": 250},
                    {"tag": "channel", "op": "eq", "value": "app"},
                ]
            },
        ),
        *(
            rule(
                f"Tier: spend ≥ {threshold}",
                100 - i,
                {"fixed": points},
                stop=True,
                conditions={"counter": "amount", "op": "gte", "value": threshold},
            )
            for i, (threshold, points) in enumerate(((250, 100), (150, 50), (50, 20)))
        ),
    ]


def event(n: int) -> dict[str, object]:
    return {
        "id": f"e-{n}",
        "email": f"member{n % 500}@example.com",
        "at": "2026-11-20T10:15:00Z",
        "channel": ("web", "app", "store")[n % 3],
        "amount": 5 + (n * 37) % 300,
    }


async def run_load(
    url: str, bodies: list[bytes], headers_for: object, concurrency: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                headers = headers_for(body)  # type: ignore[operator]
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text[:300]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else values[0] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--singles", type=int, default=1000, help="single-event requests per server")
    parser.add_argument("--batches", type=int, default=4, help="1000-event batch requests per server")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="inbound-bench-")
    db_url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
    inbound_port, bare_port = free_port(), free_port()
    env = {
        **os.environ,
        "INBOUND_DATABASE_URL": db_url,
        "INBOUND_ADMIN_TOKEN": ADMIN,
        "INBOUND_PORT": str(inbound_port),
        "INBOUND_LOG_LEVEL": "warning",
        "INBOUND_MAX_BODY_BYTES": str(16 * 1024 * 1024),
    }
    python = sys.executable
    servers = [
        start([python, "-m", "cli", "serve"], env, inbound_port),
        start(
            [
                python,
                "-m",
                "uvicorn",
                "bench.bare_app:app",
                "--port",
                str(bare_port),
                "--log-level",
                "warning",
            ],
            env,
            bare_port,
        ),
    ]
    try:
        admin = httpx.Client(
            base_url=f"http://127.0.0.1:{inbound_port}", headers={"Authorization": f"Bearer {ADMIN}"}
        )
        auth = {"method": "hub_signature", "preset": "github"}
        connector = admin.post(
            "/api/connectors", json={"name": "bench", "auth": auth, "mapping": MAPPING, "secret": SECRET}
        )
        connector.raise_for_status()
        connector_id = connector.json()["id"]
        for rule in rules(connector_id):
            admin.post("/api/rules", json=rule).raise_for_status()
        settings = parse_auth_settings(auth)

        def signed(body: bytes) -> dict[str, str]:
            return {
                "Content-Type": "application/json",
                **sign(settings, SECRET, body, now=time.time()).headers,
            }

        singles = [json.dumps(event(n)).encode() for n in range(args.singles)]
        batches = [
            json.dumps([event(b * 1000 + n + 10_000_000) for n in range(1000)]).encode()
            for b in range(args.batches)
        ]
        rows = []
        for label, bodies, per_request, concurrency in (
            ("single events", singles, 1, args.concurrency),
            ("1000-event batches", batches, 1000, 2),
        ):
            figures = {}
            for name, port, path in (("bare", bare_port, "x"), ("inbound", inbound_port, connector_id)):
                elapsed, lat = asyncio.run(
                    run_load(f"http://127.0.0.1:{port}/ingest/{path}", bodies, signed, concurrency)
                )
                figures[name] = (len(bodies) * per_request / elapsed, pct(lat, 50), pct(lat, 99))
            rows.append((label, figures))
        print(
            f"\nInbound ingest benchmark ({db_url.split(':')[0]}, ten active rules,"
            f" concurrency {args.concurrency})"
        )
        print(f"{'':22}{'events/s':>12}{'p50 ms':>10}{'p99 ms':>10}")
        for label, figures in rows:
            for name in ("bare", "inbound"):
                eps, p50, p99 = figures[name]
                print(f"{(label + ' · ' + name):<22}{eps:>12.0f}{p50:>10.2f}{p99:>10.2f}")
            (b_eps, b50, b99), (i_eps, i50, i99) = figures["bare"], figures["inbound"]
            print(f"{'  ratio inbound/bare':<22}{i_eps / b_eps:>11.3f}x{i50 / b50:>9.1f}x{i99 / b99:>9.1f}x")
        check = admin.get("/api/ledger/check", timeout=120).json()
        if check["ok"]:
            print("ledger check: ok (every balance and lifetime equals the sum of its entries)")
        else:
            print(f"ledger check: FAILED, {len(check['mismatches'])} mismatch(es): {check['mismatches'][:5]}")
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
