"""How far from when it is received an event may be dated: per event type, else the defaults.

Without a bound, ten check-ins backdated to ten past days each land in a day of their own and
beat a "once a day" limit; a sender with a fast clock dates events in the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DateBounds:
    max_past_seconds: int
    max_future_seconds: int

    def errors(self, occurred: datetime, received: datetime) -> list[str]:
        """'occurredAt: …' sentences when `occurred` is out of bounds; [] when it is fine."""
        ahead = (occurred - received).total_seconds()
        if ahead > self.max_future_seconds:
            return [
                f"occurredAt: {_iso(occurred)} is {_span(ahead)} after the event was received; at most "
                f"{_span(self.max_future_seconds)} is allowed (maxFutureSeconds {self.max_future_seconds})"
            ]
        if -ahead > self.max_past_seconds:
            return [
                f"occurredAt: {_iso(occurred)} is {_span(-ahead)} before the event was received; "
                f"at most {_span(self.max_past_seconds)} is allowed (maxPastSeconds {self.max_past_seconds})"
            ]
        return []


def _iso(moment: datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _span(seconds: float) -> str:
    """'30 days', '6 minutes', or 'more than 30 days' when it is not a whole number of them."""
    whole = int(seconds)
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
        if whole >= size:
            count = whole // size
            text = f"{count} {unit}{'' if count == 1 else 's'}"
            return text if whole % size == 0 and whole == seconds else f"more than {text}"
    return f"{seconds:g} seconds"


MAX_BOUND_SECONDS = 100 * 366 * 86_400  # a century: past it, a bound is no bound
