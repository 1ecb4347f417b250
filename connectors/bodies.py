"""Turn a request body into raw events: JSON, a JSON batch, form fields, NDJSON, or sendBeacon text."""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_plus

import orjson

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


class LoneSurrogate(ValueError):
    """`\\ud800` without its pair: valid JSON syntax, but not a character any database can store."""

    def __init__(self, position: int, escape: str) -> None:
        super().__init__(f"{escape} at character {position} is a lone UTF-16 surrogate, not a character")
        self.position = position
        self.escape = escape


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)


def _lone_surrogate(text: str) -> LoneSurrogate | None:
    """The first `\\uD800`-`\\uDFFF` escape in valid JSON `text` that is not half of a pair."""
    if _SURROGATE_ESCAPE.search(text) is None:  # cheap: almost every body stops here
        return None
    for string in _STRING.finditer(text):  # outside strings, valid JSON holds no backslash
        pending: re.Match[str] | None = None  # a high surrogate waiting for its low half
        for escape in _ESCAPE.finditer(string.group()):
            code = int(escape.group(1), 16) if escape.group(1) else None
            is_low = code is not None and 0xDC00 <= code <= 0xDFFF
            if pending is not None:
                if is_low and escape.start() == pending.end():
                    pending = None
                    continue
                return LoneSurrogate(string.start() + pending.start(), pending.group())
            if code is not None and 0xD800 <= code <= 0xDBFF:
                pending = escape
            elif is_low:
                return LoneSurrogate(string.start() + escape.start(), escape.group())
        if pending is not None:
            return LoneSurrogate(string.start() + pending.start(), pending.group())
    return None


def loads(text: str) -> Any:
    """Strict JSON: NaN, Infinity and numbers too large for a float (1e400) are refused, and so is
    nesting deeper than MAX_NESTING levels and a lone UTF-16 surrogate escape (`"\\ud800"`, which
    no database driver can encode); integers of any size stay exact.

    Raises json.JSONDecodeError, or ValueError (LoneSurrogate …) / RecursionError; `parse_json`
    turns each into a MalformedBody with the position.
    """
    try:
        encoded = text.encode()
    except UnicodeEncodeError:  # a lone surrogate character: the reader below says where
        return strict_loads(text)
    if _LONG_DIGITS not in encoded.translate(_DIGITS_ONLY):
        try:
            value = orjson.loads(encoded)
        except orjson.JSONDecodeError:
            pass  # the reader below refuses it too, and says what and where in its own words
        else:
            _check_nesting(text, value)
            return value
    return strict_loads(text)


# 19 digits in a row may be an integer beyond 64 bits, which orjson reads as a float: such a body
# is read by the standard reader, which keeps every integer exact. (Found on the UTF-8 bytes with
# every digit made "0" and every other byte a space: a regex scan cost 15 times as much.)
_DIGITS_ONLY = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_DIGITS = b"0" * 19


def strict_loads(text: str) -> Any:
    """`loads` by the standard library alone (what `loads` falls back to)."""
    value = json.loads(text, parse_constant=_reject_constants, parse_float=_finite_float)
    _check_nesting(text, value)
    surrogate = _lone_surrogate(text)
    if surrogate is not None:
        raise surrogate
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
    except LoneSurrogate as exc:
        where, details = _where(text, exc.position, line)
        raise MalformedBody(
            f"{subject}: the escape {exc.escape} at {where} is a lone UTF-16 surrogate, not a character; "
            "send the character itself, or both halves of its surrogate pair",
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


_RAW_SURROGATE = re.compile("[\ud800-\udfff]")


def charset_of(content_type: str | None) -> str | None:
    """The `charset` parameter of a Content-Type, lower-cased, or None."""
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').strip().lower() or None
    return None


def _codec(charset: str | None) -> str:
    """The Python codec for a declared charset (UTF-8, BOM tolerated, when none is declared)."""
    if charset is None:
        return "utf-8-sig"
    try:
        info = codecs.lookup(charset)
    except LookupError:
        info = None
    # Only text encodings: "base64" or "zlib" are codecs too, but not charsets.
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise UnsupportedMediaType(
            f"charset {charset!r} in the Content-Type is not a known character encoding; "
            "send UTF-8 (or declare a standard charset such as iso-8859-1 or utf-16)"
        )
    return "utf-8-sig" if info.name == "utf-8" else info.name


def _decode(body: bytes, charset: str | None = None) -> str:
    codec = _codec(charset)
    shown = "UTF-8" if charset is None else charset
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"body is not valid {shown} at byte {exc.start}") from None
    bad = _RAW_SURROGATE.search(text)  # some codecs (utf-7 …) decode to lone surrogates
    if bad is not None:
        raise MalformedBody(f"body: character {bad.start()} is a lone UTF-16 surrogate, not a character")
    return text


def _short(text: str) -> str:
    shown = repr(text)
    return shown if len(shown) <= 60 else shown[:58] + "…'"


def unquote_text(text: str, what: str, codec: str = "utf-8") -> str:
    """Percent-decoded (`+` as space) strictly: invalid bytes, NUL or a lone surrogate are a 400."""
    try:
        value = unquote_plus(text, encoding=codec, errors="strict")
    except UnicodeDecodeError as exc:
        raise MalformedBody(
            f"{what}: {_short(text)} does not decode as {exc.encoding}: "
            f"byte {exc.start} of the percent-decoded value is invalid"
        ) from None
    if "\x00" in value:
        raise MalformedBody(f"{what}: {_short(value)} contains a NUL character (%00), which no text may hold")
    if _RAW_SURROGATE.search(value):
        raise MalformedBody(f"{what}: {_short(value)} contains a lone UTF-16 surrogate, not a character")
    return value


def collect_fields(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Name → value; a name given more than once keeps all its values, in order, as a list."""
    fields: dict[str, Any] = {}
    for name, value in pairs:
        if name not in fields:
            fields[name] = value
        elif isinstance(fields[name], list):
            fields[name].append(value)
        else:
            fields[name] = [fields[name], value]
    return fields


def parse_form(text: str, charset: str | None = None) -> dict[str, Any]:
    """An x-www-form-urlencoded body, decoded strictly: a bad byte is a 400 naming the field."""
    codec = "utf-8" if charset is None else _codec(charset).removesuffix("-sig")
    pairs: list[tuple[str, str]] = []
    for pair in text.split("&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition("=")
        name = unquote_text(raw_name, f"form field name {raw_name!r}", codec)
        pairs.append((name, unquote_text(raw_value, f"form field {name!r}", codec)))
    return collect_fields(pairs)


def parse_body(body: bytes, content_type: str | None, *, max_items: int) -> list[Any]:
    """Return the raw events of a body. A top-level JSON array or NDJSON is a batch."""
    kind = media_type(content_type)
    charset = charset_of(content_type)
    if kind == FORM_TYPE:
        return [parse_form(_decode(body, charset), charset)]
    if kind in NDJSON_TYPES:
        items = _parse_ndjson(_decode(body, charset), max_items)
    elif _is_json_type(kind):
        text = _decode(body, charset)
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


def parse_query_event(query: dict[str, Any]) -> list[Any]:
    """A pixel-style GET: the query parameters (minus the auth token) are the event; a repeated
    parameter is a list of its values (see api.ingest, which decodes the query string strictly)."""
    return [dict(query)]
