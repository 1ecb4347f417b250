"""Time windows that limits count in, as UTC instants [start, end).

Calendar periods follow the program's time zone: a day runs from local midnight to the next
local midnight (23 or 25 hours across a DST change), a week starts on Monday (ISO 8601), a
month on the 1st, a year on 1 January. A rolling window of N hours or days around an event at
T is [T - N, T + N): for an event that arrives on time nothing exists after T, so it is simply
"the last N"; a backdated event also sees awards in the N after it, so a late event cannot
squeeze in between two awards that were already far enough apart.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PERIODS = ("day", "week", "month", "year", "ever")


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    # fold=0 picks the first of a repeated midnight, and a skipped midnight (a DST gap)
    # maps to the instant the clocks jumped: both are when the local day really begins.
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


@lru_cache(maxsize=4096)
def calendar_bounds(period: str, at: datetime, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """The calendar `period` (in `tz`) that contains the instant `at`; (None, None) for ever."""
    if period == "ever":
        return None, None
    today = at.astimezone(tz).date()
    if period == "day":
        first = today
    elif period == "week":
        first = today - timedelta(days=today.weekday())  # Monday
    elif period == "month":
        first = today.replace(day=1)
    elif period == "year":
        first = date(today.year, 1, 1)
    else:
        raise ValueError(f"unknown period {period!r}")
    try:
        after = _next_start(period, first)
    except (ValueError, OverflowError):  # the period that ends after year 9999: open-ended
        return _local_midnight(first, tz), None
    return _local_midnight(first, tz), _local_midnight(after, tz)


def _next_start(period: str, first: date) -> date:
    if period == "day":
        return first + timedelta(days=1)
    if period == "week":
        return first + timedelta(days=7)
    if period == "month":
        return date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return date(first.year + 1, 1, 1)


def rolling_bounds(at: datetime, span: timedelta) -> tuple[datetime | None, datetime | None]:
    instant = at.astimezone(UTC)
    try:
        start: datetime | None = instant - span
    except OverflowError:
        start = None
    try:
        end: datetime | None = instant + span
    except OverflowError:
        end = None
    return start, end
