"""Ingest benchmark: Inbound against a bare Starlette endpoint, measured in the same run.

    make bench                      # or: .venv/bin/python bench/ingest.py --singles 2000 --batches 5

Starts both servers on loopback ports (Inbound on a fresh SQLite file, or on PostgreSQL with
--database-url), creates a hub-signature connector (GitHub preset) with ten active earning rules,
then sends single signed events and 1000-event batches. Prints events/s and p50/p99 latency for
each, and Inbound's figures as a ratio of the bare endpoint's. Never part of the test run.
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

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.auth import parse_auth_settings, sign  # noqa: E402

ADMIN = "adm_bench_token"
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
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((proc.stderr.read() if proc.stderr else b"").decode()) from None
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server on port {port} did not start: {' '.join(cmd)}")


def rules(connector_id: str) -> list[dict[str, object]]:
    """Ten active rules of the kinds marketers run: thresholds, per-unit spend, limits, a multiplier."""
    source = {"connector": connector_id}
    out: list[dict[str, object]] = []
    for i, threshold in enumerate((10, 20, 50, 100, 200)):
        out.append(
            {
                "name": f"Spend ≥ {threshold}",
                "status": "active",
                "priority": 100 - i,
                "source": source,
                "conditions": {"all": [{"counter": "amount", "op": "gte", "value": threshold}]},
                "reward": {"fixed": threshold},
            }
        )
    out.append(
        {
            "name": "1 point per 1.00",
            "status": "active",
            "priority": 50,
            "source": source,
            "reward": {"points_per_unit": {"counter": "amount", "per": 1, "points": 1, "rounding": "floor"}},
        }
    )
    out.append(
        {
            "name": "Web channel",
            "status": "active",
            "priority": 40,
            "source": source,
            "conditions": {"all": [{"tag": "channel", "op": "eq", "value": "web"}]},
            "reward": {"fixed": 5},
            "limits": [{"scope": "profile", "period": "day", "max_times": 3}],
        }
    )
    out.append(
        {
            "name": "App channel",
            "status": "active",
            "priority": 30,
            "source": source,
            "conditions": {"all": [{"tag": "channel", "op": "in", "value": ["app", "ios"]}]},
            "reward": {"fixed": 7},
        }
    )
    out.append(
        {
            "name": "Monthly cap",
            "status": "active",
            "priority": 20,
            "source": source,
            "reward": {"fixed": 1},
            "limits": [{"scope": "profile", "period": "month", "max_points": 500}],
        }
    )
    out.append(
        {
            "name": "Double points",
            "status": "active",
            "priority": 10,
            "source": source,
            "conditions": {"all": [{"counter": "amount", "op": "gte", "value": 1000}]},
            "reward": {"multiplier": 2},
        }
    )
    return out


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
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
