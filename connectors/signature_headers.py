"""Read and write the signature headers of a `hub_signature` request, in the three formats senders use.

- plain: the header is prefix + one signature (GitHub, Shopify, Slack, …)
- stripe: `t=<timestamp>,v1=<sig>[,v1=<sig>…]`, the timestamp inside the signature header
- standard-webhooks: space-separated `v1,<sig>` entries, id and timestamp in their own headers

Everything here reads attacker-controlled text: it never raises anything but a refusal.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.auth_models import ITEM_FORMATS, HubSignatureSettings
from connectors.credentials import refuse

_HEX = re.compile(r"[0-9a-fA-F]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_DIGEST_SIZES = {"sha1": 20, "sha256": 32, "sha512": 64}
_ECDSA_DER = range(8, 73)  # an ECDSA P-256 signature in DER: 8 to 72 bytes
_ED25519_SIZE = 64
_MAX_HEADER = 16_384


@dataclass(frozen=True)
class Presented:
    """What a request carries besides its body: signatures, and the signed timestamp and id."""

    signatures: tuple[bytes, ...]
    timestamp: str | None
    message_id: str | None


def encode_signature(mac: bytes, encoding: str) -> str:
    return mac.hex() if encoding == "hex" else base64.b64encode(mac).decode("ascii")


def decode_signature(text: str, encoding: str) -> bytes | None:
    """Bytes of a hex (either case) or base64 (padding optional) signature; None if not one."""
    text = text.strip()
    if encoding == "hex":
        return bytes.fromhex(text) if len(text) % 2 == 0 and _HEX.fullmatch(text) else None
    if not _BASE64.fullmatch(text):
        return None
    text = text.rstrip("=")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def header_value(settings: HubSignatureSettings, headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name.lower())
    if (
        value is None
        and settings.header_format == "standard-webhooks"
        and name.lower().startswith("webhook-")
    ):
        # Svix sends the same scheme under svix-* names (its libraries accept both).
        value = headers.get("svix-" + name.lower().removeprefix("webhook-"))
    return None if value is None else value.strip()


def read_presented(settings: HubSignatureSettings, headers: Mapping[str, str]) -> Presented:
    raw = header_value(settings, headers, settings.header)
    if not raw:
        raise refuse("missing_signature", f"header {settings.header} is missing or empty")
    if len(raw) > _MAX_HEADER:
        raise refuse(
            "malformed_signature", f"header {settings.header} is longer than {_MAX_HEADER} characters"
        )
    if settings.header_format in ITEM_FORMATS:
        signatures, timestamp = _items(settings, raw)
    else:
        signatures = (
            _standard(settings, raw)
            if settings.header_format == "standard-webhooks"
            else _plain(settings, raw)
        )
        timestamp = None
        if settings.timestamp_header is not None:
            timestamp = header_value(settings, headers, settings.timestamp_header)
            if not timestamp:
                raise refuse("missing_timestamp", f"header {settings.timestamp_header} is missing or empty")
    message_id = None
    if settings.id_header is not None:
        message_id = header_value(settings, headers, settings.id_header)
        if not message_id:
            raise refuse(
                "missing_signature",
                f"header {settings.id_header} (the signed message id) is missing or empty",
            )
    return Presented(signatures, timestamp, message_id)


def _usable(settings: HubSignatureSettings, text: str) -> bytes | None:
    """A decoded signature of the right length for the algorithm, or None."""
    decoded = decode_signature(text, settings.encoding)
    if decoded is None:
        return None
    if settings.algorithm == "ed25519":
        return decoded if len(decoded) == _ED25519_SIZE else None
    if settings.algorithm not in _DIGEST_SIZES:  # ECDSA: DER, of varying length
        return decoded if len(decoded) in _ECDSA_DER else None
    return decoded if len(decoded) == _DIGEST_SIZES[settings.algorithm] else None


def _expected(settings: HubSignatureSettings) -> str:
    if settings.algorithm == "ed25519":
        return f"{settings.encoding} ed25519 signature ({_ED25519_SIZE} bytes)"
    if settings.algorithm not in _DIGEST_SIZES:
        return f"{settings.encoding} {settings.algorithm} signature (DER)"
    size = _DIGEST_SIZES[settings.algorithm]
    return f"{settings.encoding} {settings.algorithm} signature ({size} bytes)"


def _plain(settings: HubSignatureSettings, raw: str) -> tuple[bytes, ...]:
    prefix = settings.prefix
    if raw[: len(prefix)].lower() != prefix.lower():  # lenient on case: "SHA256=" is still meant
        raise refuse("malformed_signature", f"header {settings.header} must start with {prefix!r}")
    signature = _usable(settings, raw[len(prefix) :])
    if signature is None:
        raise refuse("malformed_signature", f"header {settings.header} does not hold a {_expected(settings)}")
    return (signature,)


def _items(settings: HubSignatureSettings, raw: str) -> tuple[tuple[bytes, ...], str]:
    """Stripe's `t=…,v1=…` and Paddle's `ts=…;h1=…`: the timestamp item, and every signature item."""
    separator, key = ITEM_FORMATS[settings.header_format]
    items = [item.strip() for item in raw.split(separator)]
    timestamps = [item[len(key) :] for item in items if item.startswith(key)]
    if not timestamps or not timestamps[0].strip():
        raise refuse("missing_timestamp", f"header {settings.header} has no {key} timestamp")
    found = [
        _usable(settings, item[len(settings.prefix) :]) for item in items if item.startswith(settings.prefix)
    ]
    signatures = tuple(s for s in found if s is not None)
    if not signatures:
        raise refuse(
            "malformed_signature",
            f"header {settings.header} has no {settings.prefix} item with a {_expected(settings)}",
        )
    return signatures, timestamps[0].strip()


def _standard(settings: HubSignatureSettings, raw: str) -> tuple[bytes, ...]:
    # Entries of other versions (v1a for a v1 connector, v1 for a v1a one) are skipped, as the
    # spec asks: a sender may send both.
    found = [
        _usable(settings, entry[len(settings.prefix) :])
        for entry in raw.split()
        if entry.startswith(settings.prefix)
    ]
    signatures = tuple(s for s in found if s is not None)
    if not signatures:
        raise refuse(
            "malformed_signature",
            f"header {settings.header} has no {settings.prefix} entry with a {_expected(settings)}",
        )
    return signatures


def render_headers(
    settings: HubSignatureSettings, signature: str, timestamp: str | None, message_id: str | None
) -> dict[str, str]:
    """The headers a sender attaches, for `sign`."""
    if settings.header_format in ITEM_FORMATS:
        separator, key = ITEM_FORMATS[settings.header_format]
        return {settings.header: f"{key}{timestamp}{separator}{settings.prefix}{signature}"}
    headers = {settings.header: settings.prefix + signature}
    if settings.timestamp_header is not None and timestamp is not None:
        headers[settings.timestamp_header] = timestamp
    if settings.id_header is not None and message_id is not None:
        headers[settings.id_header] = message_id
    return headers
