"""Mappings off the event loop run in worker processes with a memory bound (mapping/isolation.py).

Before the bound, `[1..100000].($pad("", 99000, "x"))` grew the server by 170 MB (jlens) to 400 MB
(jsonata-python) within its 1 s time limit, and by more with several requests at once.
"""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from errors import MappingError, PayloadTooLarge
from mapping import CompiledMapping, MappedEvent
from mapping.isolation import POOL, Worker, configure, map_isolated
from mapping.raw_events import map_raw_events
from settings import load_settings
from tests.conftest import ADMIN_TOKEN, NO_DATE_BOUNDS, Server, free_port, serve
from tests.helpers import create_connector, send, unique_email

ENGINES = ["jlens", "jsonata-python"]
# A raw event with "bomb" builds 1 MB strings (jlens caps one at 1 MB) in a loop until a bound stops it.
MAPPING = (
    'bomb ? $count([1..100000].($pad("", 990000, "x"))) : {"clientEventId": id, "profile": {"value": email}}'
)
WHERE: dict[str, Any] = {"headers": {}, "query": {}, "connector": {}}


def _bodies() -> list[dict[str, Any]]:
    return [
        {"id": "one", "email": "one@example.com"},
        {"id": "two", "email": "two@example.com", "bomb": True},
        {"id": "three", "email": "three@example.com"},
    ]


@pytest.fixture(autouse=True)
def _two_workers() -> Iterator[None]:
    configure(2)
    yield
    configure(2)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_mapping_that_takes_too_much_memory_fails_its_own_raw_event_only(engine: str) -> None:
    mapping = CompiledMapping.compile(MAPPING, engine=engine, max_memory_mb=64)
    started = time.monotonic()
    outcomes = map_isolated(mapping, _bodies(), **WHERE)
    assert time.monotonic() - started < 5
    first, bomb, third = outcomes
    assert isinstance(first, list) and isinstance(first[0], MappedEvent)
    assert first[0].client_event_id == "one"
    assert isinstance(third, list) and isinstance(third[0], MappedEvent)
    assert third[0].client_event_id == "three"
    assert isinstance(bomb, MappingError), bomb
    assert bomb.jsonata_code == "U1001"
    assert "more than 64 MB of memory (INBOUND_MAPPING_MAX_MEMORY_MB)" in str(bomb)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_worker_maps_as_the_server_thread_does(engine: str) -> None:
    mapping = CompiledMapping.compile(
        '$.{"clientEventId": id, "profile": {"value": email}, '
        '"payload": {"tags": [{"name": "h", "value": $headers.h}]}}',
        engine=engine,
    )
    bodies = [{"id": f"e{i}", "email": f"m{i}@example.com"} for i in range(600)] + [
        {"id": {"nested": 1}, "email": "x@example.com"}
    ]
    where: dict[str, Any] = {"headers": {"h": "x"}, "query": {}, "connector": {"id": 1}}
    isolated = map_isolated(mapping, bodies, **where)
    configure(0)
    on_thread = map_isolated(mapping, bodies, **where)
    assert (
        [str(o) for o in isolated]
        == [str(o) for o in on_thread]
        == [str(o) for o in map_raw_events(mapping, bodies, **where)]
    )
    assert (
        len(isolated) == 601 and isinstance(isolated[-1], list) and isinstance(isolated[-1][0], MappingError)
    )


def test_a_request_that_maps_to_too_many_events_is_refused_from_the_worker() -> None:
    mapping = CompiledMapping.compile(
        '[1..60].{"clientEventId": $string($), "profile": {"value": "a@x.com"}}', max_events=100
    )
    with pytest.raises(PayloadTooLarge, match="more than 100 events"):
        map_isolated(mapping, [{}, {}], **WHERE)


def test_a_worker_that_dies_fails_its_job_and_the_next_one_starts_afresh() -> None:
    worker = Worker()
    worker.process.kill()
    mapping = CompiledMapping.compile("$")
    outcomes, ending = worker.run(({"expression": "$"}, [{}], WHERE, False), 64 << 20, time.monotonic() + 5)
    assert (outcomes, ending.kind) == ([], "lost")
    assert ending.exit_code is not None and ending.exit_code < 0  # killed
    assert not worker.alive
    assert map_isolated(mapping, [{"a": 1}], **WHERE)[0][0] is not None  # type: ignore[index]


def test_a_silent_worker_is_stopped_at_the_deadline() -> None:
    worker = Worker()
    try:
        # A timeout far beyond the deadline given to run(): the server's own clock stops it.
        bounds = {
            "expression": "$count([1..1000000].([1..1000000]))",
            "timeout_ms": 60_000,
            "max_depth": 200,
            "max_items": 200_000_000,
            "max_events": 10,
            "engine": "jsonata-python",
            "max_memory_mb": 256,
        }
        job: tuple[Any, ...] = (bounds, [{}], WHERE, False)
        started = time.monotonic()
        _, ending = worker.run(job, 1 << 40, time.monotonic() + 0.5)
        assert ending.kind == "time"
        assert time.monotonic() - started < 3
        assert not worker.alive
    finally:
        worker.stop()


def test_the_workers_are_bounded_in_number() -> None:
    configure(1)
    mapping = CompiledMapping.compile("($sum([1..300000]); $)", engine="jsonata-python", max_items=400_000)
    seen: list[int] = []
    original = POOL.take

    def take() -> Worker:
        worker = original()
        seen.append(POOL._busy)
        return worker

    POOL.take = take  # type: ignore[method-assign]
    try:
        threads = [
            threading.Thread(target=map_isolated, args=(mapping, [{}]), kwargs=WHERE) for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        del POOL.take
    assert seen == [1, 1, 1]


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / (1 << 20)


def test_a_memory_hungry_batch_leaves_the_server_small_and_responsive(database_url: str) -> None:
    settings = load_settings(
        environ={},
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        port=free_port(),
        mapping_max_memory_mb=64,
        rate_limit_refused="off",
        **NO_DATE_BOUNDS,
    )
    with serve(settings) as server:
        _check_server(server)


def _check_server(server: Server) -> None:
    connector = create_connector(server.admin, name="Memory hungry", mapping=MAPPING)
    bodies = _bodies()
    for body in bodies:
        body["id"] = f"{body['id']}-{time.monotonic_ns()}"
        body["email"] = unique_email()
    before = _resident_mb()
    health: list[float] = []
    done = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            while not done.is_set():
                started = time.monotonic()
                assert client.get("/health").status_code == 200
                health.append(time.monotonic() - started)
                time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        answer = send(server.client, connector, bodies)
    finally:
        done.set()
        prober.join()
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["processed", "failed", "processed"], results
    assert "MB of memory (INBOUND_MAPPING_MAX_MEMORY_MB)" in results[1]["reason"]
    # The worker took the memory and was stopped; the server itself did not grow.
    assert _resident_mb() - before < 60
    assert health and max(health) < 0.5


def test_a_worker_that_died_while_idle_is_not_given_a_job() -> None:
    configure(1)
    mapping = CompiledMapping.compile('{"clientEventId": id, "profile": {"value": email}}')
    body = {"id": "a", "email": "a@example.com"}
    assert isinstance(map_isolated(mapping, [body], **WHERE)[0], list)
    [idle] = POOL._idle
    idle.process.kill()
    idle.process.wait()
    [outcome] = map_isolated(mapping, [body], **WHERE)
    assert isinstance(outcome, list) and isinstance(outcome[0], MappedEvent), outcome
