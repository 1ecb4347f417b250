"""Limits: how often and how much one rule may award, per profile or for the whole rule.

JSON shape (one window, one or both maxima):
    {"scope": "profile", "period": "day", "max_times": 1}
    {"scope": "rule", "rolling_hours": 24, "max_points": 5000, "when_exceeded": "skip"}

A times maximum that is used up skips the award. A points maximum caps the award to what is
left (`when_exceeded: "cap"`, the default) or skips it (`"skip"`). Negative awards are never
held back by a points maximum (they give back room) but do count as a time.

The pure side cannot count: the pipeline asks `limit_windows` what to count, counts the rule's
awards (all versions) in each window, and hands the totals back to `evaluate` as `Usage`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from earning_rules import validate as v
from earning_rules.periods import PERIODS, calendar_bounds, rolling_bounds

if TYPE_CHECKING:
    from earning_rules.model import Rule

SCOPES = ("profile", "rule")
WHEN_EXCEEDED = ("cap", "skip")
_FIELDS = ("scope", "period", "rolling_hours", "rolling_days", "max_times", "max_points", "when_exceeded")
_WINDOWS = ("period", "rolling_hours", "rolling_days")
_MAX_ROLLING_HOURS = 24 * 366 * 10


@dataclass(frozen=True)
class Limit:
    scope: Literal["profile", "rule"]
    period: str | None = None
    rolling_hours: int | None = None
    rolling_days: int | None = None
    max_times: int | None = None
    max_points: int | None = None
    when_exceeded: Literal["cap", "skip"] = "cap"

    @cached_property  # read for every event the rule judges: worked out once per limit
    def key(self) -> str:
        """Names the window, not the rule version: usage keeps counting across edits."""
        if self.period is not None:
            return f"{self.scope}:{self.period}"
        if self.rolling_hours is not None:
            return f"{self.scope}:rolling_hours={self.rolling_hours}"
        return f"{self.scope}:rolling_days={self.rolling_days}"

    @cached_property
    def description(self) -> str:
        """The window in words, as traces show it."""
        who = "per profile" if self.scope == "profile" else "for the whole rule"
        if self.period == "ever":
            return f"{who}, ever"
        if self.period is not None:
            return f"{who}, per {self.period}"
        if self.rolling_hours is not None:
            return f"{who}, in any {self.rolling_hours} hours"
        return f"{who}, in any {self.rolling_days} days"

    def bounds(self, at: datetime, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        if self.period is not None:
            return calendar_bounds(self.period, at, tz)
        hours = self.rolling_hours if self.rolling_hours is not None else 24 * (self.rolling_days or 0)
        return rolling_bounds(at, timedelta(hours=hours))


class LimitWindow(NamedTuple):  # a tuple: built for every limit of every event judged
    """Count this rule's awards (all versions) with event time in [start, end); None = unbounded."""

    rule_id: str
    key: str
    scope: Literal["profile", "rule"]
    start: datetime | None
    end: datetime | None


class Usage(NamedTuple):  # a tuple: built for every limit window of every event
    times: int = 0
    points: int = 0


def limit_windows(rule: Rule, at: datetime, tz: ZoneInfo) -> list[LimitWindow]:
    """The windows the pipeline must count for `rule` for an event that happened at `at`."""
    windows: dict[str, LimitWindow] = {}
    for limit in rule.definition.limits:
        if limit.key not in windows:  # two limits on one window share one count
            start, end = limit.bounds(at, tz)
            windows[limit.key] = LimitWindow(rule.id, limit.key, limit.scope, start, end)
    return list(windows.values())


# --- parsing ---------------------------------------------------------------------------------


def parse_limits(data: Any, path: str = "limits") -> tuple[Limit, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        v.fail(path, f"{v.show(data)} must be a list of limits")
    return tuple(_parse_limit(item, v.join(path, i)) for i, item in enumerate(data))


def _parse_limit(data: Any, path: str) -> Limit:
    body = {k: val for k, val in v.obj(data, path, _FIELDS).items() if val is not None}
    if "scope" not in body:
        v.fail(v.join(path, "scope"), f"is required ({' or '.join(SCOPES)})")
    scope = v.choice(body["scope"], v.join(path, "scope"), SCOPES)
    window = v.one_of_keys(body, path, _WINDOWS)
    window_path = v.join(path, window)
    period = rolling_hours = rolling_days = None
    if window == "period":
        period = v.choice(body["period"], window_path, PERIODS)
    elif window == "rolling_hours":
        rolling_hours = _bounded(body[window], window_path, _MAX_ROLLING_HOURS)
    else:
        rolling_days = _bounded(body[window], window_path, _MAX_ROLLING_HOURS // 24)
    if "max_times" not in body and "max_points" not in body:
        v.fail(path, "needs max_times, max_points or both")
    max_times = _maximum(body, path, "max_times")
    max_points = _maximum(body, path, "max_points")
    when = "cap"
    if "when_exceeded" in body:
        if max_points is None:
            v.fail(v.join(path, "when_exceeded"), "applies to max_points only (max_times always skips)")
        when = v.choice(body["when_exceeded"], v.join(path, "when_exceeded"), WHEN_EXCEEDED)
    return Limit(
        scope="profile" if scope == "profile" else "rule",
        period=period,
        rolling_hours=rolling_hours,
        rolling_days=rolling_days,
        max_times=max_times,
        max_points=max_points,
        when_exceeded="skip" if when == "skip" else "cap",
    )


def _maximum(body: Mapping[str, Any], path: str, key: str) -> int | None:
    return v.integer(body[key], v.join(path, key), minimum=1) if key in body else None


def _bounded(value: Any, path: str, maximum: int) -> int:
    number = v.integer(value, path, minimum=1)
    if number > maximum:
        v.fail(path, f"{number} is more than the most allowed, {maximum}")
    return number


def limit_to_json(limit: Limit) -> dict[str, Any]:
    out: dict[str, Any] = {"scope": limit.scope}
    for name in ("period", "rolling_hours", "rolling_days", "max_times", "max_points"):
        value = getattr(limit, name)
        if value is not None:
            out[name] = value
    if limit.max_points is not None:
        out["when_exceeded"] = limit.when_exceeded
    return out


# --- applying --------------------------------------------------------------------------------


class LimitCheck(NamedTuple):
    points: int  # what may be awarded; 0 when a limit skips the award
    outcome: Literal["ok", "capped", "limit_reached"]
    reason: str | None
    entries: list[dict[str, Any]]  # one per maximum checked, JSON-safe, for the trace and the award


_UNUSED = Usage()


def apply_limits(
    rule_id: str,
    limits: Sequence[Limit],
    points: int,
    usage: Mapping[tuple[str, str], Usage],
    at: datetime,
    tz: ZoneInfo,
) -> LimitCheck:
    entries: list[dict[str, Any]] = []
    skips: list[str] = []
    caps: list[tuple[int, str]] = []
    for i, limit in enumerate(limits):
        used = usage.get((rule_id, limit.key), _UNUSED)
        start, end = limit.bounds(at, tz)
        common = {
            "key": limit.key,
            "window": limit.description,
            "start": _local(start, tz),
            "end": _local(end, tz),
        }
        if limit.max_times is not None:
            name = f"limits[{i}].max_times"
            left = max(0, limit.max_times - used.times)
            entries.append(
                {
                    "limit": name,
                    **common,
                    "max": limit.max_times,
                    "used": used.times,
                    "remaining_before": left,
                }
            )
            if left < 1:
                skips.append(
                    f"{name} ({limit.description}): {used.times} of {limit.max_times} times used, 0 remaining"
                )
        if limit.max_points is not None:
            name = f"limits[{i}].max_points"
            left = max(0, limit.max_points - used.points)
            entries.append(
                {
                    "limit": name,
                    **common,
                    "max": limit.max_points,
                    "used": used.points,
                    "remaining_before": left,
                }
            )
            if points > left:
                why = (
                    f"{name} ({limit.description}): {used.points} of {limit.max_points} points used,"
                    f" {left} remaining, {points} would exceed it"
                )
                if limit.when_exceeded == "skip" or left == 0:
                    skips.append(why)
                else:
                    caps.append((left, why))
    allowed = min([points, *(left for left, _ in caps)])
    if skips:
        return _decided(entries, 0, "limit_reached", "; ".join(skips))
    if allowed != points:
        reason = "; ".join(why for left, why in caps if left == allowed) + f" → capped to {allowed}"
        return _decided(entries, allowed, "capped", reason)
    return _decided(entries, points, "ok", None)


def _decided(
    entries: list[dict[str, Any]],
    points: int,
    outcome: Literal["ok", "capped", "limit_reached"],
    reason: str | None,
) -> LimitCheck:
    for entry in entries:  # an award that only reacts (0 points) still uses one of its times
        if outcome == "limit_reached":
            entry["consumed"] = 0
        else:
            entry["consumed"] = 1 if entry["limit"].endswith("max_times") else points
    return LimitCheck(points, outcome, reason, entries)


@lru_cache(maxsize=1024)
def _local(instant: datetime | None, tz: ZoneInfo) -> str | None:
    # Cached: the events of a day share their windows' bounds, shown in every trace.
    return None if instant is None else v.timestamp_to_json(instant.astimezone(tz))
