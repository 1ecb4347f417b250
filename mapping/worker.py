"""A mapping worker process (`python -m mapping.worker`), started by mapping/isolation.py.

It reads jobs from stdin and writes the raw events' outcomes to stdout as they are mapped (in
batches, or one by one for a careful job), then a last frame: so when the server stops it for
taking too much memory, what was mapped before is already in the server's hands. Frames are a
4-byte length and a pickle; nothing else may write to the real stdout, so `sys.stdout` is
pointed at stderr.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
import time
from typing import Any, BinaryIO

from mapping.engine import compile_cached
from mapping.raw_events import iter_raw_events

HEADER = struct.Struct("!I")
FLUSH_OUTCOMES = 256
FLUSH_SECONDS = 0.01


def read_frame(stream: BinaryIO) -> Any:
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        raise EOFError
    (size,) = HEADER.unpack(head)
    body = stream.read(size)
    if len(body) < size:
        raise EOFError
    return pickle.loads(body)


def frame(value: Any) -> bytes:
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(body)) + body


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def serve(jobs: BinaryIO, out: int) -> None:
    while True:
        try:
            job = read_frame(jobs)
        except EOFError:
            return  # the server closed the pipe or is gone
        bounds, bodies, options, careful = job
        done: list[Any] = []
        flushed = time.monotonic()
        try:
            mapping = compile_cached(**bounds)
            for outcome in iter_raw_events(mapping, bodies, **options):
                done.append(outcome)
                # Outcomes go in batches (one frame per event cost ~20 µs each); a careful job,
                # the rest of a request whose worker was stopped, sends each at once, so the server
                # knows which raw event was being mapped if it has to stop this one too.
                if careful or len(done) >= FLUSH_OUTCOMES or time.monotonic() - flushed > FLUSH_SECONDS:
                    write_all(out, frame(("some", done)))
                    done, flushed = [], time.monotonic()
        except Exception as exc:  # a 413 for the request (PayloadTooLarge), or a defect: the server raises it
            write_all(out, frame(("raise", exc)))
        else:
            write_all(out, frame(("done", done)))


def main() -> None:
    # Ctrl-C in a terminal reaches the whole process group: the server stops, and this worker
    # follows when its stdin closes (no traceback of its own).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    write_all(out, frame(("ready", None)))
    serve(sys.stdin.buffer, out)


if __name__ == "__main__":
    main()
