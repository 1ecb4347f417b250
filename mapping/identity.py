"""How a mapped profile identity is normalised: one rule for the stored event, the profile and
the trace, so the same person sent as " Ann@Example.com " and "ann@example.com" is one member."""

from __future__ import annotations

import re

DEFAULT_KIND = "default"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_kind(kind: str) -> str:
    """Trimmed and lower-cased; empty means `default`."""
    return kind.strip().lower() or DEFAULT_KIND


def normalise_identity(kind: str, value: str) -> tuple[str, str]:
    """Trim both; lower-case the kind, and the value when it is an email address."""
    kind = normalise_kind(kind)
    value = value.strip()
    if kind == "email" or _EMAIL.match(value):
        value = value.lower()
    return kind, value
