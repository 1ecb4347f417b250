"""Turn a request body into raw events: JSON, a JSON batch, form fields, NDJSON, or sendBeacon text."""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import parse_qsl

from errors import MalformedBody, PayloadTooLarge, UnsupportedMediaType

JSON_TYPES = ("application/json", "text/plain")  # sendBeacon posts JSON as text/plain
FORM_TYPE = "application/x-www-form-urlencoded"
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
SUPPORTED = (*JSON_TYPES, FORM_TYPE, *NDJSON_TYPES)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _is_json_type(kind: str) -> bool:
    # application/json, and vendor types such as application/vnd.api+json or application/cloudevents+json
    return kind in JSON_TYPES or kind.endswith("+json")


MAX_NESTING = 100  # levels of arrays/objects in one body; no real event is anywhere near


def _reject_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _NonFinite(ValueError):
    def __init__(self, number: str) -> None:
        super().__init__(number)
        self.number = number


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400: valid JSON, but no database or JSON encoder takes inf
        raise _NonFinite(text)
    return value


class _TooDeep(ValueError):
    pass


def _check_nesting(text: str, value: Any) -> None:
    if text.count("[") + text.count("{") <= MAX_NESTING:  # cheap: most bodies stop here
        return
    level = [(value, 1)]
    while level:
        item, depth = level.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > MAX_NESTING:
                    raise _TooDeep()
                level.append((child, depth + 1))


def loads(text: str) -> Any:
    """Strict JSON: NaN, Infinity and numbers too large for a float (1e400) are refused, and so is
    nesting deeper than MAX_NESTING levels; integers of any size stay exact.

    Raises json.JSONDecodeError, or ValueError / RecursionError; `parse_json` turns each into a
    MalformedBody with the position.
    """
    value = json.loads(text, parse_constant=_reject_constants, parse_float=_finite_float)
    _check_nesting(text, value)
    return value


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*')


def _number_at(text: str, number: str) -> int:
    """Where `number` first occurs as a number token (not inside a string) in valid JSON text."""
    for match in _TOKEN.finditer(text):
        if match.group() == number:
            return match.start()
    return max(text.find(number), 0)


def _where(text: str, position: int, line: int | None) -> tuple[str, dict[str, int]]:
    if line is None:  # a whole body: line and column within it
        line_no = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        return f"line {line_no}, column {column} (character {position})", {"line": line_no, "column": column}
    return f"column {position + 1}", {"line": line, "column": position + 1}


def parse_json(text: str, *, what: str = "body", line: int | None = None) -> Any:
    """`loads`, with every failure a MalformedBody (400) naming the position.

    `line` is set for one line of an NDJSON body: positions are then columns within that line.
    """
    subject = what if line is None else f"line {line} of the {what}"
    try:
        return loads(text)
    except json.JSONDecodeError as exc:
        where, details = _where(text, exc.pos, line)
        raise MalformedBody(f"{subject} is not valid JSON: {exc.msg} at {where}", details=details) from None
    except _NonFinite as exc:
        where, details = _where(text, _number_at(text, exc.number), line)
        raise MalformedBody(
            f"{subject}: the number {exc.number} at {where} is too large to represent; send it as a string",
            details=details,
        ) from None
    except (_TooDeep, RecursionError):
        raise MalformedBody(
            f"{subject} is nested deeper than {MAX_NESTING} levels of arrays and objects",
            details=None if line is None else {"line": line},
        ) from None
    except ValueError as exc:  # NaN/Infinity, integers beyond Python's digit limit
        raise MalformedBody(
            f"{subject} is not valid JSON: {exc}", details=None if line is None else {"line": line}
        ) from None


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"body is not valid UTF-8 at byte {exc.start}") from None


def parse_body(body: bytes, content_type: str | None, *, max_items: int) -> list[Any]:
    """Return the raw events of a body. A top-level JSON array or NDJSON is a batch."""
    kind = media_type(content_type)
    if kind == FORM_TYPE:
        return [dict(parse_qsl(_decode(body), keep_blank_values=True))]
    if kind in NDJSON_TYPES:
        items = _parse_ndjson(_decode(body), max_items)
    elif _is_json_type(kind):
        text = _decode(body)
        if not text.strip():
            raise MalformedBody("body is empty; send a JSON object or an array of them")
        parsed = parse_json(text)
        items = parsed if isinstance(parsed, list) else [parsed]
    else:
        shown = content_type or "(none)"
        raise UnsupportedMediaType(
            f"Content-Type {shown!r} is not accepted; use one of {', '.join(SUPPORTED)}"
        )
    if len(items) > max_items:
        raise PayloadTooLarge(
            f"batch holds {len(items)} events; at most {max_items} are accepted per request",
            code="too_many_events",
        )
    if not items:
        raise MalformedBody("batch is empty; send at least one event")
    return items


def _parse_ndjson(text: str, max_items: int) -> list[Any]:
    items: list[Any] = []
    # Split on "\n" only: str.splitlines() also splits on U+2028 and other characters that a JSON
    # string may hold as they are.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if len(items) >= max_items:
            raise PayloadTooLarge(
                f"batch holds more than {max_items} events; at most {max_items} are accepted",
                code="too_many_events",
            )
        items.append(parse_json(line.removesuffix("\r"), what="NDJSON body", line=number))
    return items


def parse_query_event(query: dict[str, str]) -> list[Any]:
    """A pixel-style GET: the query parameters (minus the auth token) are the event."""
    return [dict(query)]
