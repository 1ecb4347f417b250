"""What a webhook endpoint subscribes to, and the checks of its URL and kinds (the admin API's
input is declared in api/models/webhooks.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from errors import BadValue

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
STATUSES = ("enabled", "disabled")


def check_url(value: Any) -> str:
    """An endpoint's URL, trimmed: http(s), with a host, without a user or password."""
    if not isinstance(value, str) or not value.strip():
        raise BadValue("must be an http:// or https:// URL")
    text = value.strip()
    if "\x00" in text:
        raise BadValue("contains a NUL character")
    if len(text) > 2000:
        raise BadValue("is longer than 2000 characters")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadValue("must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise BadValue("carries a user or password; messages are signed instead")
    return text


def check_kind(value: Any) -> str:
    if not isinstance(value, str) or value not in KINDS:
        raise BadValue(f"is not a kind; use one of {', '.join(KINDS)}")
    return str(value)


def unique(kinds: list[str]) -> list[str]:
    """Each kind once, in the order first given."""
    return list(dict.fromkeys(kinds))
