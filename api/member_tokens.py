"""Member access tokens: a signed token id (itsdangerous, keyed by the secret key that seals
credentials), checked against its row, so a token can expire and be revoked."""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeSerializer

from storage.secrets import key_lines

PREFIX = "mbr_"
_SALT = "inbound.member-token"


def _serializer() -> URLSafeSerializer:
    # itsdangerous signs with the last key and accepts all: the newest (first line) goes last.
    return URLSafeSerializer(list(reversed(key_lines())), salt=_SALT)


def new_token_id() -> str:
    return "mtk_" + secrets.token_hex(12)


def token_for(token_id: str) -> str:
    return PREFIX + _serializer().dumps(token_id)


def token_id_of(token: str) -> str | None:
    """The token id a genuine token carries; None for anything forged, altered or malformed."""
    if not token.startswith(PREFIX):
        return None
    try:
        found = _serializer().loads(token.removeprefix(PREFIX))
    except BadSignature:
        return None
    return found if isinstance(found, str) and found.startswith("mtk_") else None
