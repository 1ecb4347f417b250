"""Mappings that run off the event loop run in worker processes, where memory is bounded too.

Why processes: the default engine (jlens) runs in Rust, and nothing inside the server can stop an
evaluation but its own clock: a mapping that built large strings or arrays in a loop took 500 MB
in its 1 s. So a worker's resident memory is watched while it maps (every few milliseconds, from
/proc); when it grows more than the mapping's `max_memory_mb` during a request, the worker is
killed, the raw event it was on fails with U1001, what it mapped before stays mapped, and the rest
of the request goes to a fresh worker. A worker that dies any other way fails its raw event alike.

Workers start on first use (a fraction of a second: the engines' import) and are shared by every
server of the process; `configure(0)` maps on the calling thread instead, with no memory bound.
Inline mappings (one raw event within a few milliseconds, pipeline/map_runner.py) never come
here: in their budget they can take a few MB at most.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import select
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from errors import MappingError
from mapping.engine import CompiledMapping
from mapping.failures import EVALUATION, LIMIT_CODE
from mapping.raw_events import REQUEST_BUDGET_TIMEOUTS, RawOutcome, iter_raw_events, map_raw_events
from mapping.worker import HEADER, frame

POLL_SECONDS = 0.005
# A silent worker is stopped this long after its request's mapping time is up (it has its own clocks).
GRACE_SECONDS = 2.0
# A worker whose idle memory grew this much since it started (an allocator keeps what it freed)
# is replaced after its job.
RETIRE_GROWTH = 128 * 1024 * 1024
MB = 1024 * 1024
START_SECONDS = 30.0
_log = logging.getLogger("inbound.mapping")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes(pid: int) -> int | None:
    """A process's resident memory (Linux); None where /proc cannot tell, and then nothing is bounded."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


class WorkerStartError(RuntimeError):
    """No worker process could be started: the pool maps on the calling thread instead."""


@dataclass
class Ending:
    """How a job ended: "done", "raise" (`error` is the exception to raise), "memory", "lost" or "time"."""

    kind: str
    error: BaseException | None = None
    exit_code: int | None = None


class Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mapping.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._in = self.process.stdin
        self._out = self.process.stdout.fileno()
        self._buffer = bytearray()
        self.alive = True
        self.started_rss: int | None = None
        self._await_ready()

    def _await_ready(self) -> None:
        """The worker says it is ready once the engines are imported: its memory from then on is its own."""
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            for kind, _ in self._frames():
                if kind == "ready":
                    self.started_rss = resident_bytes(self.process.pid)
                    return
            ready, _, _ = select.select([self._out], [], [], 0.05)
            if ready:
                chunk = os.read(self._out, 1 << 16)
                if not chunk:
                    break
                self._buffer += chunk
        self.stop()
        raise WorkerStartError(f"a mapping worker did not start (exit code {self.process.returncode})")

    def run(self, job: Any, max_bytes: int, deadline: float) -> tuple[list[RawOutcome], Ending]:
        """Send a job; collect its outcomes until it ends, watching the worker's memory and clock."""
        outcomes: list[RawOutcome] = []
        base = resident_bytes(self.process.pid)
        try:
            self._in.write(frame(job))
            self._in.flush()
        except OSError:
            return outcomes, self._lost()
        while True:
            for kind, value in self._frames():
                if kind == "some":
                    outcomes.extend(value)
                elif kind == "done":
                    outcomes.extend(value)
                    return outcomes, Ending("done")
                else:
                    return outcomes, Ending("raise", error=value)
            ready, _, _ = select.select([self._out], [], [], POLL_SECONDS)
            if ready:
                chunk = os.read(self._out, 1 << 16)
                if not chunk:
                    return outcomes, self._lost()
                self._buffer += chunk
                continue
            now = resident_bytes(self.process.pid)
            if base is not None and now is not None and now - base > max_bytes:
                self.stop()
                return outcomes, Ending("memory")
            if time.monotonic() > deadline:
                self.stop()
                return outcomes, Ending("time")

    def _frames(self) -> list[tuple[str, Any]]:
        found = []
        buffer = self._buffer
        while len(buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(buffer)
            if len(buffer) < HEADER.size + size:
                break
            found.append(pickle.loads(bytes(buffer[HEADER.size : HEADER.size + size])))
            del buffer[: HEADER.size + size]
        return found

    def _lost(self) -> Ending:
        self.stop()
        return Ending("lost", exit_code=self.process.returncode)

    def worn(self) -> bool:
        now = resident_bytes(self.process.pid)
        return self.started_rss is not None and now is not None and now - self.started_rss > RETIRE_GROWTH

    def stop(self) -> None:
        self.alive = False
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._in.close()
        self.process.stdout.close()  # type: ignore[union-attr]


class Pool:
    """At most `size` workers busy at once; idle ones are kept for the next job."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._idle: list[Worker] = []
        self._busy = 0
        self._changed = threading.Condition()

    def take(self) -> Worker:
        with self._changed:
            while self._busy >= max(self.size, 1):
                self._changed.wait()
            self._busy += 1
            worker = self._idle.pop() if self._idle else None
        if worker is not None and worker.process.poll() is not None:  # it died while idle
            worker.stop()
            worker = None
        if worker is None:
            try:
                worker = Worker()
            except BaseException:
                self._release()
                raise
        return worker

    def give_back(self, worker: Worker) -> None:
        if worker.alive and worker.worn():
            worker.stop()
        with self._changed:
            if worker.alive:
                self._idle.append(worker)
            self._busy -= 1
            self._changed.notify()

    def _release(self) -> None:
        with self._changed:
            self._busy -= 1
            self._changed.notify()

    def close(self) -> None:
        with self._changed:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


POOL = Pool()
atexit.register(POOL.close)


def configure(workers: int) -> None:
    """INBOUND_MAPPING_WORKERS: how many worker processes; 0 maps on the calling thread."""
    POOL.size = workers


def map_isolated(
    mapping: CompiledMapping,
    bodies: list[Any],
    *,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    connector: Mapping[str, Any],
    path: str = "",
) -> list[RawOutcome]:
    """`map_raw_events` in a worker process (blocking: call it from a thread)."""
    if POOL.size == 0:
        return map_raw_events(mapping, bodies, headers=headers, query=query, connector=connector, path=path)
    bounds = {
        "expression": mapping.expression,
        "timeout_ms": mapping.timeout_ms,
        "max_depth": mapping.max_depth,
        "max_items": mapping.max_items,
        "max_events": mapping.max_events,
        "engine": mapping.engine,
        "max_memory_mb": mapping.max_memory_mb,
    }
    budget_ms = REQUEST_BUDGET_TIMEOUTS * mapping.timeout_ms
    started = time.monotonic()
    outcomes: list[RawOutcome] = []
    mapped = 0
    careful = False
    while len(outcomes) < len(bodies):
        left_ms = max(0, budget_ms - int((time.monotonic() - started) * 1000))
        options = {
            "headers": dict(headers),
            "query": dict(query),
            "connector": dict(connector),
            "path": path,
            "request_budget_ms": left_ms,
            "mapped_before": mapped,
        }
        try:
            worker = POOL.take()
        except WorkerStartError as failure:
            _log.warning("%s; mapping on the server's own thread, without a memory bound", failure)
            rest = iter_raw_events(mapping, bodies[len(outcomes) :], **options)  # type: ignore[arg-type]
            return outcomes + list(rest)
        try:
            got, ending = worker.run(
                (bounds, bodies[len(outcomes) :], options, careful),
                mapping.max_memory_mb * MB,
                time.monotonic() + left_ms / 1000 + GRACE_SECONDS,
            )
        finally:
            POOL.give_back(worker)
        outcomes.extend(got)
        mapped += sum(len(one) for one in got if isinstance(one, list))
        if ending.kind == "done":
            break
        if ending.error is not None:
            raise ending.error
        if careful or len(bodies) - len(outcomes) == 1:
            # The raw event the worker was on fails; the rest of the request goes to a fresh worker.
            outcomes.append(_stopped(ending, mapping))
        # Else outcomes came in batches: the rest goes to a fresh worker that sends each at once.
        careful = True
    return outcomes


def _stopped(ending: Ending, mapping: CompiledMapping) -> MappingError:
    if ending.kind == "memory":
        why = (
            f"it took more than {mapping.max_memory_mb} MB of memory (INBOUND_MAPPING_MAX_MEMORY_MB); "
            "check for a mapping that builds large strings or arrays in a loop"
        )
    elif ending.kind == "time":
        why = f"it took longer than {mapping.timeout_ms} ms; check for an infinite loop"
    else:
        why = f"the mapping worker process ended (exit code {ending.exit_code}); kept, replay it"
    return MappingError(
        f"mapping evaluation stopped: {why} ({LIMIT_CODE})", code=EVALUATION, jsonata_code=LIMIT_CODE
    )
