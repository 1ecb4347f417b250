"""Turn a request body into raw events: JSON, a JSON batch, form fields, NDJSON, or sendBeacon text."""

from __future__ import annotations

import json
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


def _reject_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(text: str) -> Any:
    """Strict JSON: NaN and Infinity are refused; integers of any size stay exact."""
    return json.loads(text, parse_constant=_reject_constants)


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"body is not valid UTF-8 at byte {exc.start}") from None


def _json_error(exc: json.JSONDecodeError, line: int | None = None) -> MalformedBody:
    where = f"line {exc.lineno if line is None else line}, column {exc.colno}"
    return MalformedBody(
        f"body is not valid JSON: {exc.msg} at {where} (character {exc.pos})",
        details={"line": exc.lineno if line is None else line, "column": exc.colno},
    )


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
        try:
            parsed = loads(text)
        except json.JSONDecodeError as exc:
            raise _json_error(exc) from None
        except ValueError as exc:
            raise MalformedBody(f"body is not valid JSON: {exc}") from None
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
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(items) >= max_items:
            raise PayloadTooLarge(
                f"batch holds more than {max_items} events; at most {max_items} are accepted",
                code="too_many_events",
            )
        try:
            items.append(loads(line))
        except json.JSONDecodeError as exc:
            raise _json_error(exc, line=number) from None
        except ValueError as exc:
            raise MalformedBody(f"line {number} is not valid JSON: {exc}") from None
    return items


def parse_query_event(query: dict[str, str]) -> list[Any]:
    """A pixel-style GET: the query parameters (minus the auth token) are the event."""
    return [dict(query)]
