"""Signed timestamps: read them in the sender's format, write them for `sign`, check freshness."""

from __future__ import annotations

import re
from datetime import UTC, datetime

TIMESTAMP_FORMATS = ("unix", "unix_ms", "iso8601")

# Bounded lengths: a header is attacker-controlled, so nothing unbounded reaches int() or fromisoformat().
_UNIX = re.compile(r"[0-9]{1,12}")
_UNIX_MS = re.compile(r"[0-9]{1,15}")
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.+\-Z]{5,30}")


def parse_timestamp(raw: str, fmt: str) -> float | None:
    """Seconds since the epoch, or None when `raw` is not a timestamp in format `fmt`."""
    text = raw.strip()
    if fmt == "unix":
        return float(text) if _UNIX.fullmatch(text) else None
    if fmt == "unix_ms":
        return int(text) / 1000 if _UNIX_MS.fullmatch(text) else None
    if not _ISO.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:  # a sender that omits the offset means UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def format_timestamp(now: float, fmt: str) -> str:
    """`now` written the way a sender using format `fmt` writes it."""
    if fmt == "unix":
        return str(int(now))
    if fmt == "unix_ms":
        return str(int(now * 1000))
    return datetime.fromtimestamp(int(now), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe_format(fmt: str) -> str:
    return {
        "unix": "a Unix timestamp in seconds",
        "unix_ms": "a Unix timestamp in milliseconds",
        "iso8601": "an ISO 8601 date-time such as 2026-01-31T10:00:00Z",
    }[fmt]
