"""The `query_token`, `header_token` and `basic` methods: a shared token sent with each request."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence

from connectors.auth_models import BasicSettings, HeaderTokenSettings, QueryTokenSettings
from connectors.credentials import Credential, refuse


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def match_token(presented: str, credentials: Sequence[Credential]) -> Credential | None:
    """The credential whose value equals `presented`.

    Both sides are hashed first so that compare_digest always sees equal lengths: the time taken
    tells nothing about the length or the prefix of any token.
    """
    wanted = _digest(presented)
    found = None
    for credential in credentials:
        if hmac.compare_digest(wanted, _digest(credential.value)) and found is None:
            found = credential
    return found


def check_query_token(
    settings: QueryTokenSettings, credentials: Sequence[Credential], query: Mapping[str, str]
) -> Credential:
    given = query.get(settings.param)
    if isinstance(given, list):  # a repeated parameter keeps all its values (see api.ingest)
        raise refuse("invalid_token", f"query parameter {settings.param!r} is given more than once")
    presented = (given or "").strip()
    if not presented:
        raise refuse("missing_token", f"query parameter {settings.param!r} is missing or empty")
    credential = match_token(presented, credentials)
    if credential is None:
        raise refuse("invalid_token", f"query parameter {settings.param!r} does not match any active token")
    return credential


def check_header_token(
    settings: HeaderTokenSettings, credentials: Sequence[Credential], headers: Mapping[str, str]
) -> Credential:
    name = settings.header
    value = (headers.get(name.lower()) or "").strip()
    if not value:
        raise refuse("missing_token", f"header {name} is missing or empty")
    if settings.scheme is not None:
        parts = value.split(None, 1)
        if len(parts) != 2 or parts[0].lower() != settings.scheme.lower():
            raise refuse("invalid_token", f'header {name} must be "{settings.scheme} <token>"')
        value = parts[1].strip()
    credential = match_token(value, credentials)
    if credential is None:
        raise refuse("invalid_token", f"header {name} does not match any active token")
    return credential


def check_basic(
    settings: BasicSettings, credentials: Sequence[Credential], headers: Mapping[str, str]
) -> Credential:
    value = (headers.get("authorization") or "").strip()
    if not value:
        raise refuse("missing_token", "header Authorization is missing or empty")
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic":
        raise refuse("invalid_token", 'header Authorization must be "Basic <base64 of user:password>"')
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise refuse(
            "invalid_token", "header Authorization: the Basic credentials are not base64 of UTF-8"
        ) from None
    user, colon, password = decoded.partition(":")
    if not colon:
        raise refuse(
            "invalid_token", 'header Authorization: the Basic credentials have no ":" (user:password)'
        )
    presented = user if settings.password == "ignore" else f"{user}:{password}"
    if not user:
        raise refuse("missing_token", "header Authorization: the Basic user name (the token) is empty")
    credential = match_token(presented, credentials)
    if credential is None:
        what = "user name" if settings.password == "ignore" else "user name and password"
        raise refuse("invalid_token", f"header Authorization: the Basic {what} match no active token")
    return credential
