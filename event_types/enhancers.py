"""Event enhancers: facts an event type adds to each of its events before duplicate detection and
the earning rules, so rules can use them and the trace shows them.

- `random`: counter `random`, a number in [0, 1): identical events are then never duplicates, and
  a rule can award "1 in 10" (`random < 0.1`).
- `time_parts`: when the event happened, in the program's time zone: tag `weekday` (`monday` …),
  tag `date` (`2026-12-07`) and counter `hour` (0 to 23), for "double points on Sundays" or
  "happy hour" rules.
- `member_attributes`: the member's attributes (all, or the names in `attributes`) as tags
  `member.<name>` (text, true/false) and counters `member.<name>` (numbers), read when the event
  is processed, for "gold members earn double" rules.
- `nth_event`: counter `nth`, this event's place among the member's processed events of this type
  (1 for the first), counted in arrival order once duplicates are settled, for "the 5th visit
  earns a bonus" rules.
"""

from __future__ import annotations

from typing import Any

from errors import InvalidInput

KINDS = ("random", "time_parts", "member_attributes", "nth_event")
MEMBER_KINDS = frozenset({"member_attributes", "nth_event"})  # need the member: applied once found
MAX_ENHANCERS = 10


def parse_enhancers(entries: list[dict[str, Any]], path: str = "enhancers") -> list[dict[str, Any]]:
    """Well-formed entries (the API's model checked kinds and types) that make sense together:
    each kind once, and `attributes` only where it means something."""
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where, kind = f"{path}[{index}]", entry["kind"]
        if kind in seen:
            raise InvalidInput(f"{where}.kind: {kind!r} is listed twice", code="invalid_event_type")
        seen.add(kind)
        if "attributes" in entry and kind != "member_attributes":
            raise InvalidInput(f"{where}.attributes: unknown for {kind!r}", code="invalid_event_type")
    return entries
