"""Per-evaluation bounds: a deadline and a nesting-depth limit, fresh for every call.

jsonata-python's own guard (`Timebox`) is installed once per compiled expression: its clock
starts at construction and its depth counter is never unwound when an evaluation raises, so a
compiled-once, evaluated-many mapping eventually times out or overflows for nothing. We install
our own entry/exit hooks in the per-call frame instead, under the same names the evaluator
looks up (`__evaluate_entry` / `__evaluate_exit`), so every evaluation starts from zero.
"""

from __future__ import annotations

from time import monotonic as _monotonic
from typing import Any, Literal

from jsonata.utils import Utils

from mapping.bounds import CHARS_PER_ITEM

Limit = Literal["time", "depth", "size"]



class LimitExceeded(Exception):
    """Raised from inside the evaluator to stop a runaway expression."""

    def __init__(self, limit: Limit) -> None:
        super().__init__(limit)
        self.limit = limit


class Guard:
    """Counts evaluator nesting and watches the clock for ONE evaluation."""

    __slots__ = (
        "deadline",
        "detail",
        "max_chars",
        "max_depth",
        "max_items",
        "nodes",
        "setting",
        "timeout_ms",
        "tripped",
    )

    def __init__(self, timeout_ms: int, max_depth: int, max_items: int = 100_000) -> None:
        self.timeout_ms = timeout_ms
        self.max_depth = max_depth
        # Size bounds, so that no single built-in call (which the deadline cannot interrupt)
        # runs far past the deadline: see mapping.builtins.
        self.max_items = max_items
        self.max_chars = max_items * CHARS_PER_ITEM
        self.detail: str | None = None  # what was too big, for a "size" stop
        self.setting: str | None = None  # the setting that raises the bound hit, if any
        self.deadline = _monotonic() + timeout_ms / 1000
        # The expressions being evaluated, outermost first: its length is the depth, and when
        # the engine raises an error without a position, the innermost one says where.
        self.nodes: list[Any] = []
        # Sticky: once tripped, every later node raises again, so a library `except Exception`
        # (e.g. inside $eval) cannot swallow the stop and carry on.
        self.tripped: Limit | None = None

    def install(self, frame: Any) -> None:
        frame.bind("__evaluate_entry", self.enter)
        frame.bind("__evaluate_exit", self.leave)

    def enter(self, expr: Any, input: Any, env: Any) -> None:
        # Unlike the library we ignore `env.is_parallel_call`: that flag is left set on frames
        # after array constructors, which unbalances entry/exit counting. Evaluation here is
        # sequential, so counting every node gives the true nesting.
        nodes = self.nodes
        nodes.append(expr)
        if self.tripped is not None or len(nodes) > self.max_depth or _monotonic() > self.deadline:
            self._stop()

    def leave(self, expr: Any, input: Any, env: Any, result: Any) -> None:
        # Pop down to this node: nodes whose evaluation raised and was caught inside the library
        # never get their exit call, and must not count towards the depth for the rest of the call.
        nodes = self.nodes
        while nodes and nodes.pop() is not expr:
            pass
        # The deadline again, after the node: a built-in function runs inside one node, and the
        # entry check alone would let the rest of the expression carry on after a slow call.
        if self.tripped is not None or _monotonic() > self.deadline:
            self._stop()
        if result.__class__ is str:
            if len(result) > self.max_chars:  # e.g. `$s & $s` doubling in a recursive function
                self.too_big(f"a string of {len(result)} characters", self.max_chars, "characters")
        elif result.__class__ is Utils.RangeList:  # lazy: sized here before anything iterates it
            size = max(0, result.b - result.a)
            if size > self.max_items:
                self.too_big(
                    f"the range [{result.a}..{result.b - 1}] has {size} items", self.max_items, "items"
                )

    def check_time(self) -> None:
        """For loops of our own inside a built-in call (see mapping.builtins)."""
        if self.tripped is not None or _monotonic() > self.deadline:
            self._stop()

    def too_big(
        self, what: str, limit: int, unit: str, setting: str | None = "INBOUND_MAPPING_MAX_ITEMS"
    ) -> None:
        """Stop: a value is (or would be) larger than the size bounds allow."""
        if self.tripped is None:
            self.tripped = "size"
            self.detail = f"{what}, more than the limit of {limit} {unit}"
            self.setting = setting
        raise LimitExceeded(self.tripped)

    def timed_out(self, what: str) -> LimitExceeded:
        """The stop for a native call that ran out of time itself (a regex match, see mapping.regexes)."""
        if self.tripped is None:
            self.tripped = "time"
            self.detail = what
        return LimitExceeded(self.tripped)

    def _stop(self) -> None:
        if self.tripped is None:
            self.tripped = "depth" if len(self.nodes) > self.max_depth else "time"
        raise LimitExceeded(self.tripped)

    def position(self) -> int | None:
        """Where the innermost expression under evaluation sits in the mapping text."""
        position = getattr(self.nodes[-1], "position", None) if self.nodes else None
        return position if isinstance(position, int) and position >= 0 else None
