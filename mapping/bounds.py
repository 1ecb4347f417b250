"""What bounds one evaluation of a mapping, whichever engine runs it."""

from __future__ import annotations

from dataclasses import dataclass

# Parsing runs where the mapping is saved or first used; real mappings are a few KiB.
MAX_EXPRESSION_CHARS = 64 * 1024
TOO_LARGE = "mapping_too_large"

# A string a mapping builds may hold this many characters per item of the items bound: with the
# default 100,000 items, 10 million characters (a few milliseconds to build, tens of MB at worst).
CHARS_PER_ITEM = 100


@dataclass(frozen=True)
class Bounds:
    timeout_ms: int = 1000
    max_depth: int = 200
    max_items: int = 100_000

    @property
    def max_chars(self) -> int:
        return self.max_items * CHARS_PER_ITEM


class OverBudget(Exception):
    """An evaluation given a time budget shorter than the mapping's timeout ran out of it: run it
    again with the full timeout, where a long evaluation can do no harm (pipeline/map_runner.py)."""
