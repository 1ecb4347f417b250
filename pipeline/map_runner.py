"""Where a request's mapping runs: on the event loop within a small time budget, else on a thread.

A worker thread keeps the event loop free while a mapping runs up to its timeout, but the hop
costs more than the mapping: the event loop and the thread then take turns on the GIL, and each
SQLite statement of the group writer, which releases it, waits to get it back (measured here:
~15-30 % more CPU per single event). So a request with one raw event is mapped inline with a
budget of `INLINE_BUDGET_MS`; the evaluation guard stops it there (regex timeouts included, see
mapping/regexes.py), and it runs again on a thread with the mapping's full timeout. A mapping
that runs out of the budget `STRIKES` times in a row goes straight to the thread for
`COOL_DOWN_SECONDS` (one slow call alone proves little: a garbage collection or another thread
holding the GIL also eats into the budget). Batches always use the thread. So the event loop is
never held longer than the budget plus one size-bounded built-in call. The thread hands the work
to a mapping worker process, where its memory is bounded too (mapping/isolation.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread

from mapping import CompiledMapping, OverBudget

INLINE_BUDGET_MS = 5
STRIKES = 3
COOL_DOWN_SECONDS = 60.0

# expression -> monotonic time until which it is mapped on a thread
_slow_until: dict[str, float] = {}
# expression -> inline runs in a row that ran out of the budget
_strikes: dict[str, int] = {}

T = TypeVar("T")


async def run_mapping(mapping: CompiledMapping, raw_count: int, work: Callable[[int | None], T]) -> T:
    """`work(budget_ms)` inline when the request is one raw event and its mapping has been quick,
    else (or when it runs out of the budget) `work(None)` on a worker thread."""
    if raw_count == 1 and _slow_until.get(mapping.expression, 0.0) <= time.monotonic():
        try:
            result = work(INLINE_BUDGET_MS)
        except OverBudget:
            _strike(mapping.expression)
        else:
            _strikes.pop(mapping.expression, None)
            return result
    return await anyio.to_thread.run_sync(work, None)


def _strike(expression: str) -> None:
    if len(_strikes) > 10_000 or len(_slow_until) > 10_000:
        _strikes.clear()
        _slow_until.clear()
    _strikes[expression] = _strikes.get(expression, 0) + 1
    if _strikes[expression] >= STRIKES:
        del _strikes[expression]
        _slow_until[expression] = time.monotonic() + COOL_DOWN_SECONDS
