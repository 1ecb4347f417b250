"""Authenticate a request to a connector on its raw bytes: pure, no database, no HTTP.

Four methods: `query_token`, `header_token`, `basic` (HTTP Basic, as CDP SDKs send a write
key) and `hub_signature` (an HMAC of the body, with named presets for the senders that sign that
way). Every active credential is tried, so two can be valid at once while rotating. Refusals are
`AuthenticationFailed` with a stable `code`.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.algorithms import ASYMMETRIC
from connectors.auth_models import (
    AuthSettings,
    BasicSettings,
    HeaderTokenSettings,
    HubSignatureSettings,
    QueryTokenSettings,
    full_fields,
)
from connectors.auth_parse import parse_auth_settings
from connectors.credentials import REFUSAL_CODES, Credential, require_credentials
from connectors.presets import PRESETS, Preset
from connectors.signatures import check_signature, new_secret, public_key, secret_key, sign_request
from connectors.tokens import check_basic, check_header_token, check_query_token
from errors import InvalidInput

__all__ = [
    "PRESETS",
    "REFUSAL_CODES",
    "AuthSettings",
    "BasicSettings",
    "Credential",
    "HeaderTokenSettings",
    "HubSignatureSettings",
    "Preset",
    "QueryTokenSettings",
    "SignedRequest",
    "authenticate",
    "check_secret",
    "describe",
    "generate_secret",
    "parse_auth_settings",
    "sign",
    "to_json",
]


@dataclass(frozen=True)
class SignedRequest:
    """Exactly what a sender attaches to a request: headers and query parameters."""

    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


def authenticate(
    settings: AuthSettings,
    credentials: Sequence[Credential],
    *,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    body: bytes,
    now: float,
    url: str = "",
    method: str = "POST",
) -> Credential:
    """The credential that authenticates this request, or `AuthenticationFailed` with a precise code.

    `url` is the connector URL the sender was given (with the query string), for signatures that
    cover it (`{url}` in signed_payload: Square, HubSpot)."""
    require_credentials(credentials)
    if any(name != name.lower() for name in headers):
        headers = {name.lower(): value for name, value in headers.items()}  # callers should lower-case
    if isinstance(settings, QueryTokenSettings):
        return check_query_token(settings, credentials, query)
    if isinstance(settings, HeaderTokenSettings):
        return check_header_token(settings, credentials, headers)
    if isinstance(settings, BasicSettings):
        return check_basic(settings, credentials, headers)
    if isinstance(settings, HubSignatureSettings):
        return check_signature(
            settings, credentials, headers=headers, body=body, now=now, url=url, method=method
        )
    raise TypeError(f"unknown auth settings {type(settings).__name__}")


def sign(
    settings: AuthSettings,
    secret: str,
    body: bytes,
    *,
    now: float,
    message_id: str | None = None,
    url: str = "",
) -> SignedRequest:
    """What a sender holding `secret` attaches to `body` at time `now`; authenticate() accepts it."""
    if isinstance(settings, QueryTokenSettings):
        return SignedRequest(query={settings.param: secret})
    if isinstance(settings, HeaderTokenSettings):
        value = f"{settings.scheme} {secret}" if settings.scheme else secret
        return SignedRequest(headers={settings.header: value})
    if isinstance(settings, BasicSettings):
        user_password = secret if settings.password == "match" else secret + ":"
        encoded = base64.b64encode(user_password.encode("utf-8")).decode("ascii")
        return SignedRequest(headers={"Authorization": f"Basic {encoded}"})
    if isinstance(settings, HubSignatureSettings):
        return SignedRequest(
            headers=sign_request(settings, secret, body, now=now, message_id=message_id, url=url)
        )
    raise TypeError(f"unknown auth settings {type(settings).__name__}")


def generate_secret(settings: AuthSettings) -> str:
    """A fresh random token or secret in the format the method expects (256 bits)."""
    if isinstance(settings, HubSignatureSettings) and settings.algorithm in ASYMMETRIC:
        raise InvalidInput(
            "secret: required: this sender signs with its private key, so give its public key "
            "(for SendGrid: Mail Settings, Event Webhook, Signed Event Webhook, verification key; "
            "for Standard Webhooks v1a: the sender's whpk_ key)"
        )
    if isinstance(settings, HubSignatureSettings):
        return new_secret(settings)
    if isinstance(settings, BasicSettings) and settings.password == "match":
        return f"{secrets.token_urlsafe(12)}:{secrets.token_urlsafe(32)}"
    if isinstance(settings, HeaderTokenSettings) and settings.header.lower() == "x-write-key":
        # Jitsu's SDK takes only write keys of the form key:secret (it refuses others).
        return f"{secrets.token_hex(8)}:{secrets.token_urlsafe(32)}"
    return secrets.token_urlsafe(32)


def check_secret(settings: AuthSettings, secret: str) -> None:
    """Refuse a supplied secret that can never authenticate (a Standard Webhooks key that is not base64)."""
    if isinstance(settings, HubSignatureSettings) and settings.algorithm in ASYMMETRIC:
        if public_key(secret, settings.algorithm) is None:
            if settings.algorithm == "ed25519":
                raise InvalidInput(
                    'secret: not an ed25519 public key; paste the sender\'s "whpk_" key (or base64 DER)'
                )
            raise InvalidInput(
                "secret: not an ECDSA P-256 public key; paste the sender's verification key (base64 DER)"
            )
        return
    if isinstance(settings, HubSignatureSettings) and secret_key(settings, secret) is None:
        raise InvalidInput('secret: not valid base64; expected "whsec_" followed by base64')
    if isinstance(settings, BasicSettings):
        user, colon, _ = secret.partition(":")
        if settings.password == "match" and (not colon or not user):
            raise InvalidInput('secret: with password "match" give "user:password"')
        if settings.password == "ignore" and colon:
            raise InvalidInput('secret: the token is the Basic user name, which cannot hold ":"')


def describe(settings: AuthSettings) -> dict[str, Any]:
    """Every setting resolved (a preset's fields too); JSON-safe, and parse_auth_settings accepts it back."""
    return full_fields(settings)


def to_json(settings: AuthSettings) -> dict[str, Any]:
    """The stored form: a preset is kept by name so that fixes to it reach stored connectors."""
    return settings.model_dump(mode="json")
