"""Apply an event type's enhancers to each mapped event, before duplicate detection and the rules
(event_types/enhancers.py says what each adds)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from event_types.enhancers import MEMBER_KINDS
from mapping.shape import Counter, MappedEvent, Tag
from pipeline.context import WorkItem

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_random = random.SystemRandom()


def enhanced_items(
    items: list[WorkItem],
    enhancers: Sequence[dict[str, Any]],
    received_at: datetime,
    tz: ZoneInfo,
    earlier: dict[int, Any] | None = None,
) -> list[WorkItem]:
    """The items with what the enhancers that need no member add. `earlier`: a replay's original
    mapped events by sub-index, whose random number is kept (a replay changes no dice)."""
    if not any(e["kind"] not in MEMBER_KINDS for e in enhancers):
        return items
    out = []
    for item in items:
        if item.mapped is None:
            out.append(item)
            continue
        previous = (earlier or {}).get(item.sub_index)
        mapped, added = enhance(item.mapped, enhancers, received_at, tz, earlier=previous)
        out.append(replace(item, mapped=mapped, enhanced=added))
    return out


def enhance(
    mapped: MappedEvent,
    enhancers: Sequence[dict[str, Any]],
    received_at: datetime,
    tz: ZoneInfo,
    *,
    earlier: Any = None,
) -> tuple[MappedEvent, dict[str, Any]]:
    """The event with what the enhancers add (replacing tags and counters of the same name), and
    what was added, as the trace shows it."""
    tags: dict[str, str] = {}
    counters: dict[str, int | float] = {}
    for enhancer in enhancers:
        if enhancer["kind"] == "random":
            counters["random"] = _earlier_counter(earlier, "random")
            if counters["random"] is None:
                counters["random"] = _random.random()
        elif enhancer["kind"] == "time_parts":
            local = (mapped.timestamp or received_at).astimezone(tz)
            tags.update(weekday=WEEKDAYS[local.weekday()], date=local.date().isoformat())
            counters["hour"] = local.hour
    return _with(mapped, tags, counters)


def member_facts(
    mapped: MappedEvent, enhancers: Sequence[dict[str, Any]], attributes: dict[str, Any]
) -> tuple[MappedEvent, dict[str, Any]]:
    """The event with the member's attributes (`member.<name>`), for `member_attributes`."""
    tags: dict[str, str] = {}
    counters: dict[str, int | float] = {}
    for enhancer in enhancers:
        if enhancer["kind"] != "member_attributes":
            continue
        names = enhancer.get("attributes") or sorted(attributes)
        for name in names:
            value = attributes.get(name)
            if isinstance(value, bool):
                tags[f"member.{name}"] = "true" if value else "false"
            elif isinstance(value, (int, float)):
                counters[f"member.{name}"] = value
            elif isinstance(value, str):
                tags[f"member.{name}"] = value
    return _with(mapped, tags, counters)


def with_nth(mapped: MappedEvent, nth: int) -> tuple[MappedEvent, dict[str, Any]]:
    """The event with counter `nth`, for `nth_event`."""
    return _with(mapped, {}, {"nth": nth})


def reads_attributes(enhancers: Sequence[dict[str, Any]]) -> bool:
    return any(e["kind"] == "member_attributes" for e in enhancers)


def counts_nth(enhancers: Sequence[dict[str, Any]]) -> bool:
    return any(e["kind"] == "nth_event" for e in enhancers)


def earlier_nth(earlier: Any) -> int | None:
    """The `nth` an event got when it arrived (a replay keeps it)."""
    value = _earlier_counter(earlier, "nth")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _earlier_counter(earlier: Any, name: str) -> Any:
    payload = earlier.get("payload") if isinstance(earlier, dict) else None
    for counter in (payload or {}).get("counters") or []:
        if isinstance(counter, dict) and counter.get("name") == name:
            return counter.get("value")
    return None


def _with(
    mapped: MappedEvent, tags: dict[str, str], counters: dict[str, int | float]
) -> tuple[MappedEvent, dict[str, Any]]:
    kept_tags = tuple(t for t in mapped.tags if t.name not in tags)
    kept_counters = tuple(c for c in mapped.counters if c.name not in counters)
    result = replace(
        mapped,
        tags=kept_tags + tuple(Tag(name, value) for name, value in tags.items()),
        counters=kept_counters + tuple(Counter(name, value) for name, value in counters.items()),
    )
    return result, {"tags": tags, "counters": counters}
