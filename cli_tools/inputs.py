"""Reading what the user points a command at: files or stdin, `k=v` bindings, header lines."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from connectors.bodies import NDJSON_TYPES
from errors import InvalidInput

_NDJSON_SUFFIXES = (".ndjson", ".jsonl")


def read_bytes(path: str, what: str) -> bytes:
    """The file's bytes, or stdin's for `-`; a missing file is a usage error naming the option."""
    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)
        return stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{what}: cannot read {path!r}: {exc.strerror or exc}") from None


def read_text(path: str, what: str) -> str:
    data = read_bytes(path, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{what}: {path!r} is not UTF-8 text (byte {exc.start})") from None


def content_type_for(path: str, given: str | None) -> str:
    """--content-type wins; otherwise NDJSON by file suffix, JSON for everything else."""
    if given:
        return given
    return NDJSON_TYPES[0] if path.lower().endswith(_NDJSON_SUFFIXES) else "application/json"


def pairs(values: Sequence[str] | None, option: str) -> dict[str, str]:
    """`--query k=v` bindings; a value may itself hold `=`."""
    out: dict[str, str] = {}
    for item in values or ():
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InvalidInput(f"{option}: {item!r} is not name=value")
        out[name] = value
    return out


def header_lines(values: Sequence[str] | None, option: str) -> dict[str, str]:
    """Headers as curl takes them, `Name: value`; `Name=value` is accepted too."""
    out: dict[str, str] = {}
    for item in values or ():
        # Whichever separator comes first: `X-Time: 10=3` and `x-time=10:00` both read right.
        colon, equals = item.find(":"), item.find("=")
        sep = ":" if colon >= 0 and (equals < 0 or colon < equals) else "="
        name, found, value = item.partition(sep)
        if not found or not name.strip():
            raise InvalidInput(f"{option}: {item!r} is not 'Name: value'")
        out[name.strip()] = value.strip()
    return out
