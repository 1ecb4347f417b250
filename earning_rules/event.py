"""The event as earning rules see it, and the lookup view conditions and rewards read.

Names may repeat in a mapped event. A tag name with several values matches a positive test
(`eq`, `in`, `contains`, ...) when ANY of its values does. Counters with the same name are
SUMMED: two line items `amount` 10 and 5 read as `amount` 15.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class RuleEvent:
    connector_id: str
    event_type: str
    timestamp: datetime  # when it happened (aware); rules are judged as of this instant
    tags: Sequence[tuple[str, str]]
    counters: Sequence[tuple[str, int | float]]
    # Each rule's verdict before points (evaluate._refusal), kept: the writer asks which rules
    # need limit usage, then judges them, and a rule's status, window and conditions hold still.
    verdicts: dict[Any, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.timestamp.tzinfo is None or self.timestamp.utcoffset() is None:
            raise ValueError("RuleEvent.timestamp must be timezone-aware")

    @property
    def facts(self) -> Facts:
        """Its tags and counters as conditions read them, built once per event (the writer asks
        which rules need limit usage, then judges them). Kept by hand: Python 3.11's
        cached_property takes a lock on every read."""
        found: Facts | None = self.__dict__.get("_facts")
        if found is None:
            found = self.__dict__["_facts"] = Facts.of(self)
        return found


def counter_decimal(value: int | float) -> Decimal | None:
    """A counter value as an exact Decimal (19.99 -> Decimal('19.99')); None if not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(value)) if math.isfinite(value) else None


@dataclass(frozen=True)
class Facts:
    """Tags grouped by name (values in arrival order) and counters summed by name."""

    tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    counters: Mapping[str, Decimal] = field(default_factory=dict)

    @classmethod
    def of(cls, event: RuleEvent) -> Facts:
        tags: dict[str, list[str]] = {}
        for name, value in event.tags:
            tags.setdefault(name, []).append(str(value))
        counters: dict[str, Decimal] = {}
        for counter, raw in event.counters:
            number = counter_decimal(raw)
            if number is not None:  # the mapping shape check keeps these out; never crash on one
                counters[counter] = counters.get(counter, Decimal(0)) + number
        return cls({k: tuple(v) for k, v in tags.items()}, counters)


@lru_cache(maxsize=4096)  # a trace shows the same counter values and rule numbers again and again
def show_decimal(value: Decimal) -> str:
    """19.990 -> '19.99', 1E+2 -> '100': the number as a person would write it."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")
