"""When an event happened: ISO 8601 text or epoch seconds/milliseconds -> an aware UTC datetime."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from errors import MappingError
from mapping.describe import describe

PATH = "payload.timestamp"
SHAPE_ERROR = "mapping_shape_error"

# Epoch numbers at or above this are milliseconds: 1e11 s is the year 5138, 1e11 ms is 1973.
MILLISECONDS_FROM = 1e11
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _bad(value: Any, path: str) -> MappingError:
    return MappingError(
        f"{path}: expected an ISO 8601 date-time (e.g. 2026-11-20T10:15:00Z) or epoch seconds or "
        f"milliseconds, got {describe(value)}",
        code=SHAPE_ERROR,
        path=path,
    )


def _from_epoch(value: int | float) -> datetime:
    # timedelta keeps ints exact: no float rounding of large millisecond values.
    if abs(value) >= MILLISECONDS_FROM:
        return _EPOCH + timedelta(milliseconds=value)
    return _EPOCH + timedelta(seconds=value)


def normalise_timestamp(value: Any, *, path: str = PATH) -> datetime:
    """An aware UTC datetime; naive ISO text is taken as UTC. Raises MappingError naming the value."""
    if isinstance(value, bool):
        raise _bad(value, path)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise _bad(value, path)
        if value < 0:  # almost always a bug upstream (a difference, a sentinel), never a real 1969
            raise MappingError(
                f"{path}: {describe(value)} is a negative epoch time; expected seconds or milliseconds "
                "since 1970-01-01T00:00:00Z (0 or more), or an ISO 8601 date-time",
                code=SHAPE_ERROR,
                path=path,
            )
        try:
            return _from_epoch(value)
        except (OverflowError, ValueError):  # beyond year 9999
            raise _bad(value, path) from None
    if isinstance(value, str):
        text = value.strip()
        # Python 3.11 reads nearly all of ISO 8601: "Z", offsets, a space (or any one character)
        # instead of "T", a bare date, any number of fractional digits. We add a lower-case "z".
        if text.endswith("z"):
            text = text[:-1] + "Z"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise _bad(value, path) from None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        try:
            return parsed.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:00:00-05:00 and the like
            raise _bad(value, path) from None
    raise _bad(value, path)


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with "Z", milliseconds shown only when present: 2026-11-20T10:15:00.250Z."""
    value = value.astimezone(UTC)
    if value.microsecond == 0:
        spec = "seconds"
    elif value.microsecond % 1000 == 0:
        spec = "milliseconds"
    else:
        spec = "microseconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
