"""A one-line progress report on stderr: done/total and items per second, no dependency.

On a terminal the line is redrawn in place; otherwise (a log file, a test) a line is written
every tenth of the way, so logs stay short.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    """`total=None` when the total is not known up front (a replay pages until the service says
    there is no more): the line then shows the count and the rate, written at every update."""

    def __init__(
        self,
        total: int | None,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        *,
        verb: str = "sent",
        noun: str = "events",
    ) -> None:
        self.total = total
        self.stream = stream
        self.clock = clock
        self.verb = verb
        self.noun = noun
        self.started = clock()
        self.live = stream.isatty()
        self._last_draw = 0.0
        self._next_step = 0

    def line(self, sent: int, extra: str = "") -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = f"{sent / elapsed:.0f} {self.noun}/s"
        if self.total is None:
            return f"{self.verb} {sent} {self.noun}{extra}, {rate}"
        percent = 100 * sent // self.total if self.total else 100
        return f"{self.verb} {sent}/{self.total} {self.noun} ({percent}%){extra}, {rate}"

    def update(self, sent: int, extra: str = "") -> None:
        if self.live:
            now = self.clock()
            if now - self._last_draw >= 0.1 or sent == self.total:
                self._last_draw = now
                self.stream.write("\r" + self.line(sent, extra))
                self.stream.flush()
            return
        if self.total is None:
            self.stream.write(self.line(sent, extra) + "\n")
            self.stream.flush()
            return
        step = 10 * sent // self.total if self.total else 10
        if step > self._next_step or sent == self.total:
            self._next_step = step
            self.stream.write(self.line(sent) + "\n")

    def finish(self, sent: int, extra: str = "") -> None:
        if self.live:
            self.stream.write("\r" + self.line(sent, extra) + "\n")
        elif self.total is not None and sent != self.total:  # stopped early: say where
            self.stream.write(self.line(sent, extra) + "\n")
        self.stream.flush()
