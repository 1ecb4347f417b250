"""Small pieces every handler uses: JSON in and out, query parameters with precise errors."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Send

from connectors.bodies import parse_json
from errors import InvalidInput, MalformedBody, NotFound, PayloadTooLarge
from settings import Settings
from storage.database import Database


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _finite(value: Any) -> Any:
    """`value` with every NaN or infinity as null (stored before bodies refused them, say)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_finite(v) for v in value]
    return value


_ORJSON = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def dumps(data: Any) -> bytes:
    """Strict JSON out: never `NaN`/`Infinity` (which no JSON parser accepts).

    orjson first (it writes a non-finite float as null, as below); what it cannot write (an
    integer beyond 64 bits, a lone surrogate) takes the `json` path, which keeps them exact."""
    try:
        return orjson.dumps(data, default=_default, option=_ORJSON)
    except TypeError:
        pass
    try:
        text = json.dumps(data, default=_default, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        # A non-finite float somewhere: answer with it as null rather than fail the response.
        text = json.dumps(_finite(data), default=_default, ensure_ascii=False, separators=(",", ":"))
    # A lone surrogate (stored before bodies refused them, say) cannot be UTF-8: write it as the
    # JSON escape it came in as (`\\ud800`), which is exactly what backslashreplace produces.
    return text.encode("utf-8", "backslashreplace")


class JSON(Response):
    """JSON that knows datetimes, keeps big integers exact and never emits NaN."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def db_of(request: Request) -> Database:
    return request.app.state.db


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


# An admin body holds at most a sample or a simulated request: the ingest limit, JSON-escaped
# (up to six characters a byte), and room for the rest. Read no further (a 300 MB body once took
# 1.8 GB of memory).
ADMIN_BODY_ROOM = 6
ADMIN_BODY_EXTRA = 64 * 1024


def admin_body_limit(settings: Settings) -> int:
    return ADMIN_BODY_ROOM * settings.max_body_bytes + ADMIN_BODY_EXTRA


async def read_body(request: Request) -> bytes:
    """An admin request's body, refused (413) as soon as it is known to be over the limit."""
    limit = admin_body_limit(settings_of(request))
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body is {int(declared)} bytes; at most {limit} bytes are accepted here")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body is larger than {limit} bytes, the most accepted here")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request) -> Any:
    return json_of(await read_body(request))


async def read_json_or_empty(request: Request) -> Any:
    """The JSON body, or {} when there is none (a body every field of which is optional)."""
    raw = await read_body(request)
    return json_of(raw) if raw.strip() else {}


def json_of(body: bytes) -> Any:
    """An admin request's JSON body, strictly (see connectors.bodies.loads): 400 naming the position."""
    if not body.strip():
        raise MalformedBody("body is empty; send a JSON object")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"body is not valid UTF-8 at byte {exc.start}") from None
    value = parse_json(text)
    _refuse_duplicate_keys(text)
    return value


def _refuse_duplicate_keys(text: str) -> None:
    """`{"points": 5, "points": 500}` would silently mean 500: an admin body says each key once."""

    def check(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise MalformedBody(f"body: the key {json.dumps(key)} appears twice in one object")
            seen.add(key)
        return dict(pairs)

    json.loads(text, object_pairs_hook=check)


MAX_ID = 2**63 - 1  # ids are 64-bit on both databases: anything larger is bad input, not a driver error

_WHOLE = re.compile(r"-?[0-9]+")  # ASCII only: str.isdigit() and int() also take "²" or "١٢"


def whole_number(raw: str) -> int | None:
    """`raw` as an integer when it is ASCII digits (an optional leading "-"), else None.

    Beyond 64 bits it is clamped to just past MAX_ID (or below -MAX_ID), so no caller ever hands a
    database driver a number it cannot bind, and int() never sees thousands of digits.
    """
    if not _WHOLE.fullmatch(raw):
        return None
    negative = raw.startswith("-")
    if len(raw.lstrip("-").lstrip("0")) > 19:
        return -(MAX_ID + 1) if negative else MAX_ID + 1
    return int(raw)


def path_id(request: Request, name: str, what: str, *, code: str) -> int:
    """A numeric id from the path: not a number is a 422; beyond any possible id, a 404 (`code`)."""
    raw = request.path_params[name]
    value = whole_number(raw)
    if value is None or value < 0:
        raise InvalidInput(f"{what} id: {raw!r} is not a number", code="invalid_parameter")
    if value > MAX_ID:
        raise NotFound(f"no {what} {raw}", code=code)
    return value


def text_param(request: Request, name: str) -> str | None:
    """A text filter from the query string; NUL (which PostgreSQL text cannot hold) is refused."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    check_text(name, raw)
    return raw


def check_text(name: str, value: str, *, code: str = "invalid_parameter") -> None:
    """No NUL: `code` is the error code of the input it is part of (a query parameter by default)."""
    if "\x00" in value:
        raise InvalidInput(
            f"{name}: {value!r} contains a NUL character (\\u0000), which no stored text may hold",
            code=code,
        )


def int_param(
    request: Request, name: str, default: int, *, minimum: int = 0, maximum: int | None = MAX_ID
) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    value = whole_number(raw)
    if value is None:
        raise InvalidInput(f"{name}: {raw!r} is not a whole number", code="invalid_parameter")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise InvalidInput(f"{name}: {raw} must be at least {minimum}{upper}", code="invalid_parameter")
    return value


def time_param(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{name}: {raw!r} is not an ISO 8601 time such as 2026-11-20T10:15:00Z", code="invalid_parameter"
        ) from None
    try:
        # In UTC now, as the columns store it: 0001-01-01T00:00:00+01:00 is before year 1 in UTC.
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except OverflowError:
        raise InvalidInput(
            f"{name}: {raw!r} is outside the years 1 to 9999 once converted to UTC", code="invalid_parameter"
        ) from None


def choice_param(request: Request, name: str, choices: tuple[str, ...]) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise InvalidInput(f"{name}: {raw!r} is not one of {', '.join(choices)}", code="invalid_parameter")
    return raw


def bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise InvalidInput(f"{name}: {raw!r} must be true or false", code="invalid_parameter")


def page(items: list[dict[str, Any]], limit: int, cursor_key: str = "id") -> dict[str, Any]:
    """A page of newest-first items with the cursor for the next one (`?before=`)."""
    next_cursor = items[-1][cursor_key] if len(items) == limit and items else None
    return {"items": items, "next": next_cursor}


async def send_error(
    send: Send, status: int, code: str, message: str, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """The JSON error shape, sent straight from a pure ASGI middleware (no Request, no Response)."""
    body = dumps({"error": {"code": code, "message": message}})
    start_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*start_headers, *headers]})
    await send({"type": "http.response.body", "body": body})
