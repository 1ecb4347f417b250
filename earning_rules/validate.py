"""Reading a rule's admin JSON: each check names the field path and the bad value in its error.

Messages look like `reward.points_per_unit.per: 0 must be greater than 0`. The readers are
hand-written rather than a schema library so that every message is exactly what a marketer
reads in the console.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, NoReturn

from errors import InvalidRule

_MAX_SHOWN = 80  # a huge bad value should not flood the error message


def show(value: Any) -> str:
    """A value as the user wrote it (JSON), shortened if long."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def fail(path: str, problem: str) -> NoReturn:
    raise InvalidRule(f"{path}: {problem}", details={"path": path})


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def obj(value: Any, path: str, allowed: Sequence[str]) -> Mapping[str, Any]:
    """A JSON object whose keys are all known (a typo must not silently do nothing)."""
    if not isinstance(value, Mapping):
        fail(path, f"{show(value)} must be an object")
    for key in value:
        if key not in allowed:
            fail(join(path, str(key)), f"unknown field; expected one of {', '.join(allowed)}")
    return value


def one_of_keys(value: Mapping[str, Any], path: str, choices: Sequence[str]) -> str:
    """The single key of `choices` present in `value` (e.g. the kind of a reward)."""
    present = [k for k in choices if k in value]
    if len(present) != 1:
        found = f"found {', '.join(present)}" if present else "found none"
        fail(path, f"needs exactly one of {', '.join(choices)} ({found})")
    return present[0]


def string(value: Any, path: str, *, allow_empty: bool = False, max_len: int = 500) -> str:
    if not isinstance(value, str):
        fail(path, f"{show(value)} must be a string")
    if not allow_empty and not value.strip():
        fail(path, f"{show(value)} must not be empty")
    if len(value) > max_len:
        fail(path, f"is {len(value)} characters long; the most is {max_len}")
    if "\x00" in value:  # PostgreSQL text cannot hold it: refused here, not a 500 there
        fail(path, f"{show(value)} contains a NUL character (\\u0000)")
    return value


def choice(value: Any, path: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        fail(path, f"{show(value)} is not one of {', '.join(choices)}")
    return value


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        fail(path, f"{show(value)} must be true or false")
    return value


def integer(value: Any, path: str, *, minimum: int | None = None) -> int:
    # JSON 2.0 is a whole number too; 2.5 and true are not.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(path, f"{show(value)} must be a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            fail(path, f"{show(value)} must be a whole number")
        value = int(value)
    if minimum is not None and value < minimum:
        fail(path, f"{show(value)} must be at least {minimum}")
    return int(value)


def number(value: Any, path: str) -> Decimal:
    """A JSON number as an exact Decimal: 19.99 stays 19.99 (via its shortest text form)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(path, f"{show(value)} must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        fail(path, f"{show(value)} must be a finite number")
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def positive_number(value: Any, path: str) -> Decimal:
    result = number(value, path)
    if result <= 0:
        fail(path, f"{show(value)} must be greater than 0")
    return result


def nonzero_number(value: Any, path: str) -> Decimal:
    result = number(value, path)
    if result == 0:
        fail(path, f"{show(value)} gives no points; use a positive or a negative number")
    return result


def timestamp(value: Any, path: str) -> datetime:
    """An ISO 8601 instant with an offset; a bare local time would be ambiguous."""
    if not isinstance(value, str):
        fail(path, f'{show(value)} must be an ISO 8601 date-time such as "2026-12-01T00:00:00Z"')
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(path, f'{show(value)} is not an ISO 8601 date-time such as "2026-12-01T00:00:00Z"')
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        fail(path, f'{show(value)} needs a time zone offset, e.g. "{value}Z" or "{value}+01:00"')
    return parsed


def decimal_to_json(value: Decimal) -> int | float:
    """Whole numbers stay ints; others become the float whose text is the same digits."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


@lru_cache(maxsize=4096)
def timestamp_to_json(value: datetime) -> str:
    # Cached: one event's trace formats its own time once per rule, and a batch shares a few times.
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
