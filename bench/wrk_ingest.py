"""Ingest benchmark with wrk: Inbound against a bare endpoint on the same server stack, interleaved.

    make bench                                    # SQLite, 3 repetitions of 10 s each
    .venv/bin/python bench/wrk_ingest.py --database-url postgresql+asyncpg://postgres@127.0.0.1/test

Starts the bare endpoint (bench/bare_app.py) and Inbound (`inbound serve`) with the same uvicorn,
creates a hub-signature connector (GitHub preset) with one active earning rule, and drives both
with wrk (16 connections) using pre-signed bodies, each sent once: bare, Inbound, bare, Inbound …
Then the same with 1000-event batches and ten rules. Prints, per figure, the median of the
repetitions and their spread (min–max), the ratios to the bare endpoint, server CPU per event
(from /proc, user + system, the server and its workers), and wrk's own CPU share, so a load
generator at its ceiling is seen rather than mistaken for the server's. Ends with the ledger
check. Never part of the test run; the figures are for reading side by side, on one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
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

from bench.ingest import ADMIN, MAPPING, SECRET, event, free_port, rules, server_log, start  # noqa: E402
from connectors.auth import parse_auth_settings, sign  # noqa: E402

AUTH = {"method": "hub_signature", "preset": "github"}
# An order with 20 line items -> a tag per SKU and category, a counter per SKU and the total.
HEAVY_MAPPING = (
    '{"clientEventId": $string(order_id), "profile": {"kind": "default", "value": customer.email},'
    ' "payload": {"timestamp": created_at, "tags": [line_items.{"name": "sku", "value": sku},'
    ' line_items.{"name": "category", "value": category}], "counters": [{"name": "total", "value":'
    ' $sum(line_items.(price * quantity))}, line_items.{"name": "qty_" & sku, "value": quantity}]}}'
)


def order(n: int) -> dict[str, Any]:
    items = [
        {"sku": f"SKU{i}", "category": f"c{i % 4}", "price": 1.5 + i, "quantity": 1 + (n + i) % 3}
        for i in range(20)
    ]
    return {
        "order_id": n,
        "customer": {"email": f"member{n % 500}@example.com"},
        "created_at": "2026-11-20T10:15:00Z",
        "line_items": items,
    }


def batch_floor(bodies: Path) -> float:
    """Seconds for the unavoidable parts of one 1000-event batch, in this process: parse the body,
    run the mapping engine alone on each event, and one executemany of a row per event."""
    import sqlite3

    import orjson

    from mapping import CompiledMapping

    body = bodies.read_text().split("\n", 1)[0].split("\t", 1)[1].encode()
    mapping = CompiledMapping.compile(MAPPING)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE e (id INTEGER PRIMARY KEY, raw TEXT, mapped TEXT)")
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        raws = orjson.loads(body)
        rows = [(orjson.dumps(raw), orjson.dumps(mapping.evaluate(raw))) for raw in raws]
        db.executemany("INSERT INTO e (raw, mapped) VALUES (?, ?)", rows)
        db.commit()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


TICKS = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """A process and every live process below it: uvicorn's workers and the mapping workers,
    which any thread may have started (/proc lists children per thread)."""
    found, queue = [], [pid]
    while queue:
        one = queue.pop()
        found.append(one)
        for children in Path(f"/proc/{one}/task").glob("*/children"):
            try:
                queue += [int(p) for p in children.read_text().split()]
            except OSError:
                continue
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and every live process below it."""
    total = 0.0
    for one in descendants(pid):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def write_bodies(path: Path, bodies: list[bytes]) -> None:
    settings = parse_auth_settings(AUTH)
    with path.open("w") as out:
        for body in bodies:
            signature = sign(settings, SECRET, body, now=time.time()).headers["X-Hub-Signature-256"]
            out.write(f"{signature}\t{body.decode()}\n")


def run_wrk(url: str, bodies: Path, seconds: int, connections: int, threads: int) -> dict[str, Any]:
    """One wrk run; a request may take up to 60 s (a 1000-event batch under load) before it counts
    as a timeout."""
    script = ROOT / "bench" / "wrk_post.lua"
    path = "/" + url.split("/", 3)[3]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
            "--",
            path,
            str(bodies),
            str(threads),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK_JSON "))
    figures: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    figures["wrk_cpu_share"] = used / (figures["duration_us"] / 1e6) / threads
    return figures


def measure(
    pid: int, url: str, bodies: Path, args: argparse.Namespace, per_request: int, connections: int = 0
) -> dict[str, Any]:
    cpu_before = cpu_seconds(pid)
    figures = run_wrk(url, bodies, args.seconds, connections or args.connections, args.threads)
    cpu = cpu_seconds(pid) - cpu_before
    seconds = figures["duration_us"] / 1e6
    events = figures["requests"] * per_request
    figures.update(eps=events / seconds, cpu_us_per_event=cpu / max(events, 1) * 1e6)
    # wrk counts the requests still in flight when the run ends as timeouts (a 1000-event batch
    # may well be): only refused or failed requests are errors.
    if figures["non2xx"] or figures["connect"] or figures["read"]:
        raise SystemExit(f"errors under load at {url}: {figures}")
    return figures


def spread(values: list[float], fmt: str = "{:.0f}") -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def report(label: str, runs: dict[str, list[dict[str, Any]]]) -> None:
    bare, inbound = runs["bare"], runs["inbound"]
    print(f"\n{label}: median (min–max) of {len(bare)} interleaved runs")
    for name, rows in (("bare", bare), ("inbound", inbound)):
        print(
            f"  {name:8} events/s {spread([r['eps'] for r in rows]):>22}   p99 ms "
            f"{spread([r['p99_us'] / 1000 for r in rows], '{:.1f}'):>18}   CPU µs/event "
            f"{spread([r['cpu_us_per_event'] for r in rows]):>16}   wrk CPU "
            f"{spread([100 * r['wrk_cpu_share'] for r in rows])}%"
        )
    ratios = [i["eps"] / b["eps"] for b, i in zip(bare, inbound, strict=True)]
    p99s = [i["p99_us"] / b["p99_us"] for b, i in zip(bare, inbound, strict=True)]
    print(f"  ratio inbound/bare: throughput {spread(ratios, '{:.3f}')}×, p99 {spread(p99s, '{:.1f}')}×")
    if max(r["wrk_cpu_share"] for r in bare) > 0.9:
        print("  warning: wrk used over 90% of its threads on the bare endpoint: it may be the ceiling")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="inbound serve --workers")
    parser.add_argument("--no-batches", action="store_true")
    parser.add_argument("--no-heavy", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install wrk)")

    tmp = Path(tempfile.mkdtemp(prefix="inbound-bench-"))
    db_url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
    inbound_port, bare_port = free_port(), free_port()
    env = {
        **os.environ,
        "INBOUND_DATABASE_URL": db_url,
        "INBOUND_ADMIN_TOKEN": ADMIN,
        "INBOUND_PORT": str(inbound_port),
        "INBOUND_LOG_LEVEL": "warning",
        "INBOUND_MAX_BODY_BYTES": str(16 * 1024 * 1024),
        # The benchmark measures throughput: the per-connector rate limit would be its ceiling.
        "INBOUND_RATE_LIMIT_CONNECTOR": "off",
    }
    python = sys.executable
    serve = [python, "-m", "cli", "serve"] + (["--workers", str(args.workers)] if args.workers > 1 else [])
    bare_cmd = [
        python,
        "-m",
        "uvicorn",
        "bench.bare_app:app",
        "--port",
        str(bare_port),
        "--log-level",
        "warning",
    ]
    servers = [start(serve, env, inbound_port), start(bare_cmd, env, bare_port)]
    try:
        admin = httpx.Client(
            base_url=f"http://127.0.0.1:{inbound_port}", headers={"Authorization": f"Bearer {ADMIN}"}
        )
        single = admin.post(
            "/api/connectors", json={"name": "singles", "auth": AUTH, "mapping": MAPPING, "secret": SECRET}
        )
        single.raise_for_status()
        single_id = single.json()["id"]
        admin.post("/api/rules", json=rules(single_id)[0]).raise_for_status()  # one active rule
        # Enough distinct events that none repeats within a run (a repeat would be a cheap duplicate).
        per_run = 12_000 * args.seconds
        pids = {"bare": servers[1].pid, "inbound": servers[0].pid}
        urls = {"bare": f"http://127.0.0.1:{bare_port}/ingest/x"}
        singles: dict[str, list[dict[str, Any]]] = {"bare": [], "inbound": []}
        for rep in range(args.reps):
            bodies = tmp / f"singles-{rep}.tsv"
            write_bodies(bodies, [json.dumps(event(rep * per_run + n)).encode() for n in range(per_run)])
            urls["inbound"] = f"http://127.0.0.1:{inbound_port}/ingest/{single_id}"
            for name in ("bare", "inbound"):
                singles[name].append(measure(pids[name], urls[name], bodies, args, 1))
        print(
            f"\nInbound ingest benchmark: {db_url.split(':')[0]}, wrk -c{args.connections} -t{args.threads}, "
            f"{args.seconds} s runs, uvicorn workers {args.workers}, {os.cpu_count()} CPUs"
        )
        report("single signed events, one active rule", singles)
        if not args.no_batches:
            batch = admin.post(
                "/api/connectors",
                json={"name": "batches", "auth": AUTH, "mapping": MAPPING, "secret": SECRET},
            )
            batch.raise_for_status()
            batch_id = batch.json()["id"]
            for rule in rules(batch_id)[1:]:
                admin.post("/api/rules", json=rule).raise_for_status()
            batches: dict[str, list[dict[str, Any]]] = {"bare": [], "inbound": []}
            for rep in range(args.reps):
                bodies = tmp / f"batches-{rep}.tsv"
                base = 100_000_000 + rep * 10_000_000
                write_bodies(
                    bodies,
                    [
                        json.dumps([event(base + b * 1000 + n) for n in range(1000)]).encode()
                        for b in range(10 * args.seconds)
                    ],
                )
                urls["inbound"] = f"http://127.0.0.1:{inbound_port}/ingest/{batch_id}"
                for name in ("bare", "inbound"):
                    # Two batches at a time, as a CDP flushing its queue does.
                    batches[name].append(measure(pids[name], urls[name], bodies, args, 1000, connections=2))
            report("1000-event batches, ten active rules, 2 connections", batches)
            floor = batch_floor(tmp / "batches-0.tsv")
            cpu_per_batch = statistics.median(r["cpu_us_per_event"] for r in batches["inbound"]) * 1000 / 1e6
            print(
                "  its unavoidable parts (parse + mapping engine alone + one executemany): "
                f"{floor * 1000:.0f} ms vs {cpu_per_batch * 1000:.0f} ms of server CPU per batch = "
                f"{floor / cpu_per_batch:.2f}×"
            )
        if not args.no_heavy:
            heavy = admin.post(
                "/api/connectors",
                json={"name": "orders", "auth": AUTH, "mapping": HEAVY_MAPPING, "secret": SECRET},
            )
            heavy.raise_for_status()
            heavy_id = heavy.json()["id"]
            orders: dict[str, list[dict[str, Any]]] = {"bare": [], "inbound": []}
            for rep in range(args.reps):
                bodies = tmp / f"orders-{rep}.tsv"
                base = 900_000_000 + rep * 1_000_000
                write_bodies(
                    bodies, [json.dumps(order(base + n)).encode() for n in range(3000 * args.seconds)]
                )
                urls["inbound"] = f"http://127.0.0.1:{inbound_port}/ingest/{heavy_id}"
                for name in ("bare", "inbound"):
                    orders[name].append(measure(pids[name], urls[name], bodies, args, 1))
            report("orders of 20 line items (tags and counters per item)", orders)
            per_core = [1e6 / r["cpu_us_per_event"] for r in orders["inbound"]]
            print(f"  orders per core, end to end: {spread(per_core)}")
        check = admin.get("/api/ledger/check", timeout=300).json()
        print("\nledger check:", "ok" if check["ok"] else f"FAILED {check['mismatches'][:5]}")
        # A group that fails is written again request by request: right, but slow. Say so, or
        # the figures above would be read as the group writer's.
        fallbacks = re.search(r"^inbound_group_fallbacks_total (\S+)$", admin.get("/metrics").text, re.M)
        logged = [line for line in server_log(servers[0]).splitlines() if line.strip()]
        again = f"{float(fallbacks.group(1)):.0f}" if fallbacks else "?"
        print(f"groups written again request by request: {again}; lines in Inbound's log: {len(logged)}")
        for line in logged[:5]:
            print("  ", line[:200])
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
