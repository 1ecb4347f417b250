"""A connector's settings as the admin API accepts them: validated, with errors naming field and value."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from errors import InvalidInput

MODES = ("live", "test")
STATUSES = ("active", "disabled")
DEFAULT_MAPPING = "$"
FIELDS = {
    "name": "name",
    "auth": "auth",
    "mapping": "mapping",
    "eventType": "event_type",
    "mode": "mode",
    "status": "status",
    "createProfiles": "create_profiles",
    "allowedOrigins": "allowed_origins",
    "allowGet": "allow_get",
}
CREATE_ONLY = {"secret", "testSecret"}
PATCH_ONLY = {"acceptSampleChanges"}  # not a setting: consent to a mapping change that moves samples


def new_connector_id() -> str:
    # 128 bits of randomness: the id is part of the URL senders are given, so it must not be guessable.
    return "con_" + secrets.token_urlsafe(16)


def new_credential_id() -> str:
    return "cred_" + secrets.token_hex(6)


def _bad(field: str, value: Any, expected: str) -> InvalidInput:
    return InvalidInput(f"{field}: {value!r} {expected}", code="invalid_connector")


def _check_origin(index: int, origin: Any) -> str:
    field = f"allowedOrigins[{index}]"
    if origin == "*":
        return origin
    if not isinstance(origin, str):
        raise _bad(field, origin, "must be an origin such as 'https://shop.example.com' or '*'")
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise _bad(field, origin, "must be an origin such as 'https://shop.example.com' or '*'")
    return f"{parts.scheme}://{parts.netloc}".lower()


def parse_connector_input(data: Any, *, partial: bool) -> dict[str, Any]:
    """Admin-API JSON (camelCase) → column values (snake_case). `partial` for PATCH."""
    if not isinstance(data, Mapping):
        raise InvalidInput(
            "body: expected a JSON object with the connector's settings", code="invalid_connector"
        )
    unknown = sorted(set(data) - set(FIELDS) - CREATE_ONLY - PATCH_ONLY)
    if unknown:
        raise InvalidInput(
            f"{unknown[0]}: unknown field; expected one of {', '.join(sorted(FIELDS))}",
            code="invalid_connector",
        )
    if partial and CREATE_ONLY & set(data):
        raise InvalidInput(
            "secret: set at creation only; add one with POST /api/connectors/{id}/credentials",
            code="invalid_connector",
        )
    if not partial and PATCH_ONLY & set(data):
        raise InvalidInput(
            "acceptSampleChanges: applies to PATCH only, when a new mapping changes samples' outputs",
            code="invalid_connector",
        )
    accept = data.get("acceptSampleChanges", False)
    if not isinstance(accept, bool):
        raise _bad("acceptSampleChanges", accept, "must be true or false")
    if not partial and "name" not in data:
        raise InvalidInput("name: required", code="invalid_connector")
    values: dict[str, Any] = {}
    for key, column in FIELDS.items():
        if key in data:
            values[column] = _check_field(key, data[key])
    if not partial:
        values.setdefault("auth", {"method": "query_token"})
        values.setdefault("mapping", DEFAULT_MAPPING)
        values.setdefault("event_type", "custom.basic")
        values.setdefault("mode", "live")
        values.setdefault("status", "active")
        values.setdefault("create_profiles", True)
        values.setdefault("allowed_origins", [])
        values.setdefault("allow_get", False)
    return values


def _check_field(key: str, value: Any) -> Any:
    if key == "name":
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise _bad(key, value, "must be a non-empty text of at most 200 characters")
        return value.strip()
    if key == "auth":
        if not isinstance(value, Mapping):
            raise _bad(key, value, 'must be an object such as {"method": "query_token"}')
        return dict(value)
    if key == "mapping":
        if not isinstance(value, str) or not value.strip():
            raise _bad(key, value, "must be a non-empty JSONata expression")
        return value
    if key == "eventType":
        if not isinstance(value, str) or not value:
            raise _bad(key, value, "must name an event type such as 'custom.basic'")
        return value
    if key == "mode":
        if value not in MODES:
            raise _bad(key, value, f"is not one of {', '.join(MODES)}")
        return value
    if key == "status":
        if value not in STATUSES:
            raise _bad(key, value, f"is not one of {', '.join(STATUSES)}")
        return value
    if key in ("createProfiles", "allowGet"):
        if not isinstance(value, bool):
            raise _bad(key, value, "must be true or false")
        return value
    if key == "allowedOrigins":
        if not isinstance(value, list):
            raise _bad(key, value, "must be a list of origins")
        return [_check_origin(i, origin) for i, origin in enumerate(value)]
    raise AssertionError(key)  # pragma: no cover - FIELDS lists every key handled above


SHORT_SECRET = 16  # characters: below this a supplied secret is accepted with a warning


def check_supplied_secret(field: str, value: Any) -> str:
    """A secret the sender issued: any non-empty text up to 512 characters (a vendor that issues
    short secrets must still be connectable; `secret_warnings` says when it is weak)."""
    if not isinstance(value, str) or not value.strip() or len(value) > 512:
        shown = value if not isinstance(value, str) else f"<{len(value)} characters>"
        raise InvalidInput(
            f"{field}: {shown!r} must be a non-empty text of at most 512 characters", code="invalid_connector"
        )
    return value


def secret_warnings(field: str, value: str) -> list[str]:
    if len(value) >= SHORT_SECRET:
        return []
    return [
        f"{field}: {len(value)} characters is short: whoever guesses it can send events as this sender; "
        f"use the longest secret the sender offers (at least {SHORT_SECRET} characters)"
    ]
