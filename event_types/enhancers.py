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


def parse_enhancers(data: Any, path: str = "enhancers") -> list[dict[str, Any]]:
    """A checked list such as [{"kind": "time_parts"}], or a precise error naming the entry."""
    if not isinstance(data, list):
        raise InvalidInput(
            f'{path}: expected a list such as [{{"kind": "random"}}]', code="invalid_event_type"
        )
    if len(data) > MAX_ENHANCERS:
        raise InvalidInput(
            f"{path}: {len(data)} enhancers, at most {MAX_ENHANCERS}", code="invalid_event_type"
        )
    parsed: list[dict[str, Any]] = []
    for index, entry in enumerate(data):
        where = f"{path}[{index}]"
        if not isinstance(entry, dict) or "kind" not in entry:
            raise InvalidInput(
                f'{where}: expected {{"kind": …}} with one of {", ".join(KINDS)}', code="invalid_event_type"
            )
        kind = entry["kind"]
        if kind not in KINDS:
            raise InvalidInput(
                f"{where}.kind: {kind!r} is not one of {', '.join(KINDS)}", code="invalid_event_type"
            )
        allowed = {"kind", "attributes"} if kind == "member_attributes" else {"kind"}
        extra = sorted(set(entry) - allowed)
        if extra:
            raise InvalidInput(f"{where}.{extra[0]}: unknown for {kind!r}", code="invalid_event_type")
        if any(p["kind"] == kind for p in parsed):
            raise InvalidInput(f"{where}.kind: {kind!r} is listed twice", code="invalid_event_type")
        checked: dict[str, Any] = {"kind": kind}
        if "attributes" in entry:
            names = entry["attributes"]
            names_ok = isinstance(names, list) and all(isinstance(n, str) and n for n in names)
            if not names_ok or len(names) > 50:
                raise InvalidInput(
                    f'{where}.attributes: expected a list of attribute names such as ["tier"]',
                    code="invalid_event_type",
                )
            checked["attributes"] = names
        parsed.append(checked)
    return parsed
