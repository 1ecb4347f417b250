"""Apply an event type's enhancers to each mapped event, before duplicate detection and the rules
(event_types/enhancers.py says what each adds)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from mapping.shape import Counter, MappedEvent, Tag
from pipeline.context import WorkItem

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_random = random.SystemRandom()


def enhanced_items(
    items: list[WorkItem], enhancers: Sequence[dict[str, Any]], received_at: datetime, tz: ZoneInfo
) -> list[WorkItem]:
    if not enhancers:
        return items
    out = []
    for item in items:
        if item.mapped is None:
            out.append(item)
            continue
        mapped, added = enhance(item.mapped, enhancers, received_at, tz)
        out.append(replace(item, mapped=mapped, enhanced=added))
    return out


def enhance(
    mapped: MappedEvent, enhancers: Sequence[dict[str, Any]], received_at: datetime, tz: ZoneInfo
) -> tuple[MappedEvent, dict[str, Any]]:
    """The event with what the enhancers add (replacing tags and counters of the same name), and
    what was added, as the trace shows it."""
    tags: dict[str, str] = {}
    counters: dict[str, int | float] = {}
    for enhancer in enhancers:
        if enhancer["kind"] == "random":
            counters["random"] = _random.random()
        elif enhancer["kind"] == "time_parts":
            local = (mapped.timestamp or received_at).astimezone(tz)
            tags.update(weekday=WEEKDAYS[local.weekday()], date=local.date().isoformat())
            counters["hour"] = local.hour
    kept_tags = tuple(t for t in mapped.tags if t.name not in tags)
    kept_counters = tuple(c for c in mapped.counters if c.name not in counters)
    result = replace(
        mapped,
        tags=kept_tags + tuple(Tag(name, value) for name, value in tags.items()),
        counters=kept_counters + tuple(Counter(name, value) for name, value in counters.items()),
    )
    return result, {"tags": tags, "counters": counters}
