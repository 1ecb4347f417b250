"""Reading one field of a mapping's output: the rules for text, numbers and name/value lists.

Every reader takes the value and its path in the output (`[2].payload.tags[0].value`) and
either returns the clean value or raises a MappingError whose message starts with that path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any, TypeGuard

from errors import MappingError
from mapping.describe import describe

SHAPE_ERROR = "mapping_shape_error"


def shape_error(path: str, problem: str) -> MappingError:
    return MappingError(f"{path}: {problem}", code=SHAPE_ERROR, path=path)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str, path: str) -> str:
    """`text`, unless it holds what no database column can: NUL (PostgreSQL text refuses it, SQLite
    would keep it, so both refuse it here) or a lone UTF-16 surrogate (no driver can encode it)."""
    bad = _UNSTORABLE.search(text)
    if bad is not None:
        char = bad.group()
        what = (
            "a NUL character (\\u0000)" if char == "\x00" else f"a lone UTF-16 surrogate (\\u{ord(char):04x})"
        )
        raise shape_error(path, f"contains {what} at character {bad.start()}, which stored text cannot hold")
    return text


def join(prefix: str, name: str) -> str:
    """`[2]` + `profile` -> `[2].profile`; `` + `profile` -> `profile`."""
    return f"{prefix}.{name}" if prefix else name


def check_keys(value: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
    """Unknown keys are refused: a typo (`clientEventID`) must not silently drop data."""
    for key in value:
        if key not in allowed:
            expected = ", ".join(allowed[:-1]) + " or " + allowed[-1] if len(allowed) > 1 else allowed[0]
            raise shape_error(join(prefix, str(key)), f"unknown field; expected {expected}")


def number_text(value: int | float) -> str:
    """A number as text, exactly: big ints keep every digit, 1001.0 reads 1001, 0.1 reads 0.1."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 2**63:
        return str(int(value))
    return repr(value)


def is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# The largest magnitude a double holds: a counter beyond it cannot be compared or shown anywhere.
MAX_MAGNITUDE = 2**1024


def finite(value: int | float) -> bool:
    """Whether a number is finite. Integers always are: math.isfinite(10**309) raises OverflowError
    (it converts to a float first), which once failed a whole batch with a 500."""
    return isinstance(value, int) or math.isfinite(value)


def text_or_number(value: Any, path: str, *, max_length: int) -> str:
    """An identifier: text as sent, or a number written out exactly."""
    if isinstance(value, str):
        text = value
    elif is_number(value) and finite(value):
        text = number_text(value)
    else:
        raise shape_error(path, f"expected text or a number, got {describe(value)}")
    if len(text) > max_length:
        raise shape_error(path, f"too long: {len(text)} characters, at most {max_length}")
    return storable(text, path)


def items(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """The entries of a tags/counters list with their paths; absent/null is an empty list.

    A single object counts as a one-item list: a JSONata path that matches once yields the item
    itself rather than an array of one, and that must not break a mapping.
    """
    if value is None:
        return
    if isinstance(value, dict):
        yield path, value
        return
    if not isinstance(value, list):
        raise shape_error(path, f"expected an array of {{name, value}} objects, got {describe(value)}")
    for index, item in enumerate(value):
        yield f"{path}[{index}]", item


def name_value(item: Any, path: str) -> tuple[str, Any]:
    """The `name` and raw `value` of one tag or counter entry."""
    if not isinstance(item, dict):
        raise shape_error(path, f"expected an object with name and value, got {describe(item)}")
    check_keys(item, ("name", "value"), path)
    name = item.get("name")
    if name is None:
        raise shape_error(join(path, "name"), "missing")
    if not isinstance(name, str) or not name.strip():
        raise shape_error(join(path, "name"), f"expected non-empty text, got {describe(name)}")
    return storable(name, join(path, "name")), item.get("value")


def tag_values(value: Any, path: str) -> list[str]:
    """Tag values are text. Numbers and booleans become their JSON text; an array of them gives
    one tag per element (a repeated tag name matches when any of its values does)."""
    if isinstance(value, list):
        return [text for index, item in enumerate(value) for text in tag_values(item, f"{path}[{index}]")]
    if value is None:
        return []
    if isinstance(value, str):
        return [storable(value, path)]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if is_number(value) and finite(value):
        return [number_text(value)]
    raise shape_error(path, f"expected text, got {describe(value)}")


def counter_value(value: Any, path: str) -> int | float:
    """Counter values are numbers, exactly as computed; text is refused, not guessed at."""
    if is_number(value) and finite(value) and abs(value) < MAX_MAGNITUDE:
        return value
    if is_number(value) and finite(value):
        raise shape_error(path, f"the number {describe(value)} is too large for a counter (at most ±1.8e308)")
    raise shape_error(path, f"expected a number, got {describe(value)}")
