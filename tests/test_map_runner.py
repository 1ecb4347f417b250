"""A single event's mapping runs inline within a small budget; a slow one finishes on a thread."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import pytest

from mapping import CompiledMapping, OverBudget
from pipeline import map_runner

# ~40 ms on jlens here (the inline budget is 5 ms), within the item limit: string work per item,
# so a fast machine does not finish it inline (plain sums over 60,000 items took under 5 ms).
SLOW = "$sum([1..90000].($length($string($) & 'abc')))"
SLOW_RESULT = 708894


@pytest.fixture(autouse=True)
def _fresh() -> None:
    map_runner._slow_until.clear()
    map_runner._strikes.clear()


def counting_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    used: list[int] = []
    real = anyio.to_thread.run_sync

    async def run_sync(fn: Any, *args: Any, **kw: Any) -> Any:
        used.append(1)
        return await real(fn, *args, **kw)

    monkeypatch.setattr(anyio.to_thread, "run_sync", run_sync)
    return used


async def test_a_quick_mapping_of_one_event_runs_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    threads = counting_threads(monkeypatch)
    mapping = CompiledMapping.compile('{"id": id}')
    result = await map_runner.run_mapping(
        mapping, 1, lambda budget: mapping.evaluate({"id": 7}, budget_ms=budget)
    )
    assert result == {"id": 7}
    assert threads == []


async def test_a_slow_mapping_finishes_on_a_thread_with_its_full_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads = counting_threads(monkeypatch)
    mapping = CompiledMapping.compile(SLOW, timeout_ms=5000)
    with pytest.raises(OverBudget):  # more than the inline budget…
        mapping.evaluate(None, budget_ms=map_runner.INLINE_BUDGET_MS)
    result = await map_runner.run_mapping(mapping, 1, lambda budget: mapping.evaluate(None, budget_ms=budget))
    assert result == SLOW_RESULT  # …but well within its timeout: the right answer, from a thread
    assert threads == [1]
    assert mapping.expression not in map_runner._slow_until  # one slow call proves little
    for _ in range(map_runner.STRIKES - 1):
        await map_runner.run_mapping(mapping, 1, lambda budget: mapping.evaluate(None, budget_ms=budget))
    assert mapping.expression in map_runner._slow_until  # slow every time: straight to the thread
    await map_runner.run_mapping(mapping, 1, lambda budget: mapping.evaluate(None, budget_ms=budget))
    assert threads == [1] * (map_runner.STRIKES + 1)


async def test_batches_map_on_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    threads = counting_threads(monkeypatch)
    mapping = CompiledMapping.compile('{"id": id}')
    await map_runner.run_mapping(mapping, 2, lambda budget: mapping.evaluate({"id": 1}, budget_ms=budget))
    assert threads == [1]


def test_a_real_timeout_is_still_a_mapping_error_when_no_budget_is_shorter() -> None:
    from errors import MappingError

    mapping = CompiledMapping.compile(SLOW, timeout_ms=5)
    with pytest.raises(MappingError):
        mapping.evaluate(None, budget_ms=map_runner.INLINE_BUDGET_MS)  # budget == timeout: the real limit
