"""A one-line progress report on stderr: sent/total and events per second, no dependency.

On a terminal the line is redrawn in place; otherwise (a log file, a test) a line is written
every tenth of the way, so logs stay short.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    def __init__(self, total: int, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self.live = stream.isatty()
        self._last_draw = 0.0
        self._next_step = 0

    def line(self, sent: int) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        percent = 100 * sent // self.total if self.total else 100
        return f"sent {sent}/{self.total} events ({percent}%), {sent / elapsed:.0f} events/s"

    def update(self, sent: int) -> None:
        if self.live:
            now = self.clock()
            if now - self._last_draw >= 0.1 or sent == self.total:
                self._last_draw = now
                self.stream.write("\r" + self.line(sent))
                self.stream.flush()
            return
        step = 10 * sent // self.total if self.total else 10
        if step > self._next_step or sent == self.total:
            self._next_step = step
            self.stream.write(self.line(sent) + "\n")

    def finish(self, sent: int) -> None:
        if self.live:
            self.stream.write("\r" + self.line(sent) + "\n")
        elif sent != self.total:  # stopped early: say where
            self.stream.write(self.line(sent) + "\n")
        self.stream.flush()
