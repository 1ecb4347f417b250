"""The typed auth settings of a connector, one model per method.

`model_dump()` is the stored form and round-trips through `parse_auth_settings`. A preset is
stored by name (plus any override), so a fix to a preset reaches every connector that uses it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from connectors.presets import PRESETS

METHODS = ("query_token", "header_token", "basic", "hub_signature")
BASIC_PASSWORDS = ("ignore", "match")
ENCODINGS = ("hex", "base64")
HEADER_FORMATS = ("plain", "stripe", "paddle", "standard-webhooks")
# Formats whose signature header carries the timestamp as an item: stripe t=…,v1=…; paddle ts=…;h1=…
ITEM_FORMATS = {"stripe": (",", "t="), "paddle": (";", "ts=")}
SECRET_ENCODINGS = ("text", "base64")


class AuthSettings(BaseModel):
    """A connector's auth method and its settings. Frozen, so it can be cached and hashed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: str


class QueryTokenSettings(AuthSettings):
    method: Literal["query_token"] = "query_token"
    param: str = "token"


class HeaderTokenSettings(AuthSettings):
    method: Literal["header_token"] = "header_token"
    header: str = "X-Authorization"
    scheme: str | None = None


class BasicSettings(AuthSettings):
    """HTTP Basic auth, as CDP SDKs send their write key: `Authorization: Basic base64(user:pass)`.

    `password: ignore` (the default): the user name is the token and the password is ignored
    (Segment and RudderStack send an empty one). `match`: the credential is `user:password` and
    both must match."""

    method: Literal["basic"] = "basic"
    password: Literal["ignore", "match"] = "ignore"


class HubSignatureSettings(AuthSettings):
    method: Literal["hub_signature"] = "hub_signature"
    preset: str | None = None
    header: str = "X-Hub-Signature-256"
    algorithm: Literal["sha1", "sha256", "sha512", "ecdsa-p256-sha256", "ed25519"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = "sha256="
    header_format: Literal["plain", "stripe", "paddle", "standard-webhooks"] = "plain"
    signed_payload: str = "{body}"
    timestamp_header: str | None = None
    timestamp_format: Literal["unix", "unix_ms", "iso8601"] = "unix"
    tolerance_seconds: int | None = None
    id_header: str | None = None
    secret_encoding: Literal["text", "base64"] = "text"

    @property
    def has_timestamp(self) -> bool:
        return "{timestamp}" in self.signed_payload

    @property
    def has_id(self) -> bool:
        return "{id}" in self.signed_payload

    @model_serializer(mode="wrap")
    def _compact_when_preset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.preset is None:
            return data
        fixed = PRESETS[self.preset].settings
        return {k: v for k, v in data.items() if k in ("method", "preset") or fixed.get(k) != v}


def full_fields(settings: AuthSettings) -> dict[str, Any]:
    """Every field with its value, also those a preset fills (model_dump leaves them out)."""
    return {name: getattr(settings, name) for name in type(settings).model_fields}
