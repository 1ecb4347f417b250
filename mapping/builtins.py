"""Size-bounded built-in functions: a built-in call runs inside ONE node, where the deadline can't reach.

The guard checks the clock when a node starts and ends, but `$sum`, `$sort`, `$pad`, `$join` …
run as single Python calls on whatever they are given; a sender controlling a number or an array
length could make one call run for seconds or allocate gigabytes. So every native function is
wrapped (in the per-call frame, shadowing the library's static one) with checks made BEFORE it
runs, against the guard of the evaluation in progress:

* no argument may be an array or object of more than `max_items` entries, or a string of more
  than `max_chars` characters (arrays from ranges are bounded as they are built, see the guard);
* `$pad`, `$join` and `$replace` may not build a string of more than `max_chars` characters;
* `$distinct`, quadratic in the library, is done here with hashing and watches the clock.

Each of these is then linear in a bounded size, i.e. a few milliseconds at the default bounds.

The wrappers also know which function is running, so a plain Python exception out of the library
(`float("x")` in `$number`) becomes the JSONata error the reference implementation raises for that
case (D3030), see `mapping.failures.function_failure`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

from jsonata.jsonata import Jsonata
from jsonata.utils import Utils

from mapping.failures import FunctionError, cannot_cast, function_failure, not_finite
from mapping.guard import Guard

CURRENT_GUARD: ContextVar[Guard | None] = ContextVar("inbound_mapping_guard", default=None)


def _size_of(value: Any) -> tuple[int, str] | None:
    if isinstance(value, str):
        return len(value), "characters"
    if isinstance(value, (list, dict)):
        return len(value), "items"
    return None


def _check_arguments(guard: Guard, name: str, args: Sequence[Any]) -> None:
    for number, arg in enumerate(args, start=1):
        size = _size_of(arg)
        if size is None:
            continue
        count, unit = size
        limit = guard.max_chars if unit == "characters" else guard.max_items
        if count > limit:
            kind = (
                "a string" if unit == "characters" else ("an object" if isinstance(arg, dict) else "an array")
            )
            guard.too_big(f"${name} was given {kind} of {count} {unit} (argument {number})", limit, unit)


def _number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _check_pad(guard: Guard, args: Sequence[Any]) -> None:
    width = _number(args[1]) if len(args) > 1 else None
    if width is not None and abs(width) > guard.max_chars:
        guard.too_big(
            f"$pad would build a string of {abs(width):.0f} characters", guard.max_chars, "characters"
        )


def _check_join(guard: Guard, args: Sequence[Any]) -> None:
    strings = args[0] if args else None
    separator = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
    if not isinstance(strings, list):
        return
    total = sum(len(s) for s in strings if isinstance(s, str)) + len(separator) * max(0, len(strings) - 1)
    if total > guard.max_chars:
        guard.too_big(f"$join would build a string of {total} characters", guard.max_chars, "characters")


def _check_replace(guard: Guard, args: Sequence[Any]) -> None:
    text, pattern, replacement = [*args, None, None, None][:3]
    limit = _number(args[3]) if len(args) > 3 else None
    if not isinstance(text, str) or not isinstance(replacement, str) or not pattern:
        return  # a function replacement is evaluated node by node, under the deadline
    # Every `$0`/`$1`… in the replacement expands to (part of) the match.
    if isinstance(pattern, str):
        matches, longest = text.count(pattern), len(pattern)
        if limit is not None:
            matches = min(matches, int(max(limit, 0)))
    elif hasattr(pattern, "finditer"):
        matches = longest = 0
        for match in pattern.finditer(text):
            if limit is not None and matches >= limit:
                break
            matches += 1
            longest = max(longest, match.end() - match.start())
    else:
        return
    total = len(text) + matches * (len(replacement) + replacement.count("$") * longest)
    if total > guard.max_chars:
        guard.too_big(f"$replace could build a string of {total} characters", guard.max_chars, "characters")


# Picture strings ($formatNumber, $formatInteger, $fromMillis …) are a few characters in real use;
# the library treats them with loops that are quadratic in their length (grouping separators) and
# pads to any width a datetime marker asks for (`[Y,9999999999]`: ten billion zeros).
MAX_PICTURE_CHARS = 256
MAX_PICTURE_WIDTH = 64
_WIDTH = re.compile(r"\[[^\]]*?,\s*(\d+|\*)(?:\s*-\s*(\d+|\*))?\s*\]")


def _picture_checker(index: int, *, widths: bool) -> Callable[[Guard, Sequence[Any]], None]:
    def check(guard: Guard, args: Sequence[Any], name: str = "") -> None:
        picture = args[index] if len(args) > index else None
        if not isinstance(picture, str):
            return
        if len(picture) > MAX_PICTURE_CHARS:
            guard.too_big(
                f"${name} was given a picture string of {len(picture)} characters",
                MAX_PICTURE_CHARS,
                "characters",
                setting=None,
            )
        if widths:
            for marker in _WIDTH.finditer(picture):
                for width in marker.groups():
                    if width is not None and width != "*" and int(width) > MAX_PICTURE_WIDTH:
                        guard.too_big(
                            f"${name} was given the width {width} in the picture marker {marker.group()}",
                            MAX_PICTURE_WIDTH,
                            "characters",
                            setting=None,
                        )

    return check


def _distinct(guard: Guard, args: Sequence[Any]) -> Any:
    """The library's `$distinct` (`el not in results`, Python equality) in linear time for scalars."""
    arr = args[0] if args else None
    if not isinstance(arr, list) or len(arr) <= 1:
        return arr
    results: list[Any] = Utils.create_sequence() if isinstance(arr, Utils.JList) else []
    seen: set[Any] = set()
    unhashable: list[Any] = []  # objects and arrays: only ever equal to other objects and arrays
    for element in arr:
        try:
            if element in seen:
                continue
            seen.add(element)
        except TypeError:
            guard.check_time()
            if element in unhashable:
                continue
            unhashable.append(element)
        results.append(element)
    return results


_CHECKS: dict[str, Callable[[Guard, Sequence[Any]], None]] = {
    "pad": _check_pad,
    "join": _check_join,
    "replace": _check_replace,
}
_PICTURES: dict[str, Callable[..., None]] = {
    "formatNumber": _picture_checker(1, widths=False),
    "formatInteger": _picture_checker(1, widths=False),
    "parseInteger": _picture_checker(1, widths=False),
    "fromMillis": _picture_checker(1, widths=True),
    "toMillis": _picture_checker(1, widths=True),
}
_REPLACEMENTS: dict[str, Callable[[Guard, Sequence[Any]], Any]] = {"distinct": _distinct}


class BoundedFunction(Jsonata.JFunction):
    """A library native function, checked against the current evaluation's guard first."""

    def __init__(self, name: str, inner: Jsonata.JFunction) -> None:
        # Not JFunction.__init__: the signature is the library's own, already parsed.
        self.function = inner.function
        self.signature = inner.signature
        self.function_name = inner.function_name
        self.name = name
        self.inner = inner
        self.check = _CHECKS.get(name)
        self.picture = _PICTURES.get(name)
        self.replacement = _REPLACEMENTS.get(name)

    def validate(self, args: Any, context: Any) -> Any:
        # Before the library's signature validation, which walks every item of an array.
        guard = CURRENT_GUARD.get()
        if guard is not None and isinstance(args, list):
            _check_arguments(guard, self.name, args)
        return self.inner.validate(args, context)

    def call(self, input: Any, args: Any) -> Any:
        guard = CURRENT_GUARD.get()
        if guard is None or not isinstance(args, list):
            return self._run(input, args)
        _check_arguments(guard, self.name, args)
        if self.check is not None:
            self.check(guard, args)
        if self.picture is not None:
            self.picture(guard, args, self.name)
        if self.replacement is not None:
            return self.replacement(guard, args)
        return self._run(input, args)

    def _run(self, input: Any, args: Any) -> Any:
        given = args if isinstance(args, list) else []
        if self.name == "error" and given and given[0] is Utils.NULL_VALUE:
            # The library raises D3137 with the message "null"; the signature wants a string.
            raise FunctionError("T0410", "$error: the message (argument 1) must be a string, not null")
        try:
            result = self.inner.call(input, args)
        except Exception as exc:
            failure = function_failure(self.name, given, exc)
            if failure is None:
                raise
            raise failure from exc
        if self.name == "number" and not_finite(result):  # "10e500", "inf", "nan"
            raise cannot_cast(given[0] if given else input)
        return result

    def get_number_of_args(self) -> int:
        return self.inner.get_number_of_args()


def _wrap_all() -> dict[str, BoundedFunction]:
    frame = Jsonata.static_frame
    if frame is None:  # the library builds its static frame on first use
        Jsonata("1")
        frame = Jsonata.static_frame
    return {
        name: BoundedFunction(name, value)
        for name, value in frame.bindings.items()
        if isinstance(value, Jsonata.JNativeFunction)
    }


BOUNDED: dict[str, BoundedFunction] = _wrap_all()
