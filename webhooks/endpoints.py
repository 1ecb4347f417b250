"""An endpoint as the admin API takes it: a URL, the kinds it subscribes to, a description, and
whether it receives test data or live data. Errors name the field and the value as sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from earning_rules.validate import show
from errors import InvalidInput

# What Inbound sends, and when. The kinds a rule's reactions add come with them.
KINDS: dict[str, str] = {
    "event.processed": "an event was processed (its awards and the member's balance with it)",
    "points.awarded": "a rule awarded points to a member (one message per award)",
    "badge.earned": "a member earned a badge (a rule's reaction, or granted by hand)",
    "reward.purchased": "a member bought a reward with points",
    "reward.issued": "a rule issued a reward to a member, free (a reaction)",
    "reward.cancelled": "an issued reward was cancelled (a purchase's points given back)",
    "points.expired": "a member's points expired (one message per expiry date)",
}
TEST_KIND = "webhook.test"  # sent by hand from the API or the console, to one endpoint
RULE_KIND = "rule.reacted"  # a rule's webhook reaction, to the endpoint the rule names
FIELDS = ("url", "kinds", "description", "test", "status")
STATUSES = ("enabled", "disabled")


def _fail(field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{field}: {problem}", code="invalid_webhook_endpoint")


def parse_endpoint(data: Any, *, creating: bool) -> dict[str, Any]:
    """Column values for the fields given (all of them when creating: url and kinds required)."""
    if not isinstance(data, Mapping):
        raise _fail("body", 'expected an object such as {"url": "https://…", "kinds": ["points.awarded"]}')
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise _fail(unknown[0], f"unknown field; expected {', '.join(FIELDS)}")
    if creating:
        for required in ("url", "kinds"):
            if required not in data:
                raise _fail(required, "is required")
    parsers = {"url": _url, "kinds": _kinds, "description": _description, "test": _test, "status": _status}
    return {field: parse(data[field]) for field, parse in parsers.items() if field in data}


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail("url", f"{show(value)} must be an http:// or https:// URL")
    text = value.strip()
    if "\x00" in text:
        raise _fail("url", f"{show(text)} contains a NUL character")
    if len(text) > 2000:
        raise _fail("url", f"{show(text)} is longer than 2000 characters")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _fail("url", f"{show(text)} must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise _fail("url", f"{show(text)} carries a user or password; messages are signed instead")
    return text


def _kinds(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise _fail("kinds", f"{show(value)} must be a non-empty list of: {', '.join(KINDS)}")
    kinds: list[str] = []
    for i, kind in enumerate(value):
        if kind not in KINDS:
            raise _fail(f"kinds[{i}]", f"{show(kind)} is not a kind; use one of {', '.join(KINDS)}")
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def _description(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 500 or "\x00" in value:
        raise _fail("description", f"{show(value)} must be a text of at most 500 characters")
    return value


def _test(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail("test", f"{show(value)} must be true or false")
    return value


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise _fail("status", f"{show(value)} must be one of {', '.join(STATUSES)}")
    return str(value)
