"""What a connector is made of beyond its columns: ids, origins, and how strong a secret is."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

DEFAULT_MAPPING = "$"
MAX_SECRET = 512  # characters a supplied secret may have


def new_connector_id() -> str:
    # 128 bits of randomness: the id is part of the URL senders are given, so it must not be guessable.
    return "con_" + secrets.token_urlsafe(16)


def new_credential_id() -> str:
    return "cred_" + secrets.token_hex(6)


def check_origin(origin: object) -> str | None:
    """An allowed origin, normalised (scheme and host, lower case), or None when it is not one."""
    if origin == "*":
        return "*"
    if not isinstance(origin, str):
        return None
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


SHORT_SECRET = 16  # characters: below this a supplied secret is accepted with a warning


def secret_warnings(field: str, value: str) -> list[str]:
    if len(value) >= SHORT_SECRET:
        return []
    return [
        f"{field}: {len(value)} characters is short: whoever guesses it can send events as this sender; "
        f"use the longest secret the sender offers (at least {SHORT_SECRET} characters)"
    ]
