"""Credentials sealed at rest: every token and signing secret is stored encrypted (Fernet, from
`cryptography`), so a copy of the database (a backup, a dump, a read-only replica) does not hold
one secret a sender could be impersonated with.

The keys come from `INBOUND_SECRET_KEY` (Fernet keys, comma-separated: the first seals, all
open, so a rotation can go gradually), else from `.inbound/secret-key` beside the admin token,
created on first use. Keep that file with the database: without its key, no credential opens.
`inbound rotate-key` seals every credential with a new key (storage/secrets.py, cli.py).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from errors import InboundError

KEY_FILE = Path(".inbound/secret-key")
SEALED = "fernet:"  # a stored value with this prefix is sealed; older rows were stored plain


class SecretKeyMismatch(InboundError):
    code = "secret_key_mismatch"


def key_lines() -> list[str]:
    configured = os.environ.get("INBOUND_SECRET_KEY", "").strip()
    if configured:
        return [k.strip() for k in configured.split(",") if k.strip()]
    if not KEY_FILE.exists():
        KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        KEY_FILE.write_text(Fernet.generate_key().decode() + "\n")
        KEY_FILE.chmod(0o600)
    return [line.strip() for line in KEY_FILE.read_text().splitlines() if line.strip()]


@lru_cache(maxsize=8)
def _box(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError:
        raise SecretKeyMismatch(
            "INBOUND_SECRET_KEY (or .inbound/secret-key) holds a value that is not a Fernet key "
            "(32 url-safe base64 bytes, as `inbound rotate-key` writes)"
        ) from None


def box() -> MultiFernet:
    return _box(tuple(key_lines()))


def seal(value: str) -> str:
    return SEALED + box().encrypt(value.encode("utf-8")).decode("ascii")


def unseal(stored: str) -> str:
    if not stored.startswith(SEALED):
        return stored  # written before credentials were sealed (migration 0010 seals them)
    try:
        return box().decrypt(stored.removeprefix(SEALED).encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise SecretKeyMismatch(
            "a stored credential does not open with INBOUND_SECRET_KEY / .inbound/secret-key: the "
            "database was sealed with another key; run with the key it was sealed with"
        ) from None


def reseal(stored: str) -> str:
    """Sealed again with the first key (after a rotation put a new key first)."""
    return seal(unseal(stored))
