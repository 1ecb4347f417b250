"""The `hub_signature` method: an HMAC of the raw body, optionally with a signed timestamp and id."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from connectors.algorithms import ASYMMETRIC
from connectors.auth_models import HubSignatureSettings
from connectors.credentials import Credential, refuse
from connectors.signature_headers import encode_signature, read_presented, render_headers
from connectors.timestamps import describe_format, format_timestamp, parse_timestamp
from errors import AuthenticationFailed, InvalidInput

_HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def secret_key(settings: HubSignatureSettings, secret: str) -> bytes | None:
    """The HMAC key of a secret; None when the secret cannot be one (bad base64)."""
    if settings.secret_encoding == "text":
        return secret.encode("utf-8")
    # Standard Webhooks: "whsec_" + base64 of the key bytes; the prefix is optional.
    text = secret.strip().removeprefix("whsec_").rstrip("=")
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return key or None


def _header_bytes(value: str) -> bytes:
    # ASGI servers decode header bytes as latin-1; encoding back gives the bytes that were signed.
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


def signed_content(
    settings: HubSignatureSettings,
    body: bytes,
    timestamp: str | None,
    message_id: str | None,
    *,
    url: str = "",
    method: str = "POST",
) -> bytes:
    """The exact bytes the sender signs: the `signed_payload` template with the raw body spliced in."""
    values = {
        "{body}": body,
        "{timestamp}": _header_bytes(timestamp or ""),
        "{id}": _header_bytes(message_id or ""),
        "{url}": url.encode("utf-8"),
        "{method}": method.encode("ascii", "replace"),
        "{form}": form_sorted(body) if "{form}" in settings.signed_payload else b"",
    }
    out = bytearray()
    rest = settings.signed_payload
    while rest:
        start = rest.find("{")
        if start < 0:
            out += rest.encode("utf-8")
            break
        end = rest.index("}", start) + 1  # the template was validated: braces are placeholders
        out += rest[:start].encode("utf-8") + values[rest[start:end]]
        rest = rest[end:]
    return bytes(out)


def form_sorted(body: bytes) -> bytes:
    """A form body as Twilio and Mandrill sign it: field names sorted, each name then its values
    (sorted, once each), nothing between. A body that is not a form signs as no fields."""
    pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    fields: dict[str, set[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, set()).add(value)
    return "".join(name + value for name in sorted(fields) for value in sorted(fields[name])).encode("utf-8")


def public_key(secret: str, algorithm: str = "ecdsa-p256-sha256") -> Any:
    """The sender's public key for `algorithm`, or None if `secret` is not one.

    ECDSA P-256: base64 DER, as SendGrid shows it. Ed25519 (Standard Webhooks v1a): `whpk_`
    followed by the base64 of the 32-byte key, or base64 DER.
    """
    text = secret.strip()
    if algorithm == "ed25519":
        text = text.removeprefix("whpk_")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        if algorithm == "ed25519" and len(raw) == 32:
            return ed25519.Ed25519PublicKey.from_public_bytes(raw)
        loaded = serialization.load_der_public_key(raw)
    except (ValueError, binascii.Error, TypeError):
        return None
    wanted = ed25519.Ed25519PublicKey if algorithm == "ed25519" else ec.EllipticCurvePublicKey
    return loaded if isinstance(loaded, wanted) else None


def verified(settings: HubSignatureSettings, secret: str, content: bytes, signature: bytes) -> bool:
    """An asymmetric signature checked with the sender's public key."""
    key = public_key(secret, settings.algorithm)
    if key is None:
        return False
    try:
        if settings.algorithm == "ed25519":
            key.verify(signature, content)
        else:
            key.verify(signature, content, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def compute_mac(settings: HubSignatureSettings, key: bytes, content: bytes) -> bytes:
    return hmac.new(key, content, _HASHES[settings.algorithm]).digest()


def check_signature(
    settings: HubSignatureSettings,
    credentials: Sequence[Credential],
    *,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    url: str = "",
    method: str = "POST",
) -> Credential:
    try:
        return _check_signature(
            settings, credentials, headers=headers, body=body, now=now, url=url, method=method
        )
    except AuthenticationFailed as exc:
        if not _sent_as_svix(settings, headers):
            raise
        # Name the headers the sender actually sent: svix-signature, not webhook-signature.
        raise AuthenticationFailed(exc.message.replace("webhook-", "svix-"), code=exc.code) from None


def _sent_as_svix(settings: HubSignatureSettings, headers: Mapping[str, str]) -> bool:
    """A Standard Webhooks request that came with Svix's svix-* header names."""
    names = [name.lower() for name in headers]
    return (
        settings.header_format == "standard-webhooks"
        and any(n.startswith("svix-") for n in names)
        and not any(n.startswith("webhook-") for n in names)
    )


def _check_signature(
    settings: HubSignatureSettings,
    credentials: Sequence[Credential],
    *,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    url: str,
    method: str,
) -> Credential:
    presented = read_presented(settings, headers)
    moment = None
    if presented.timestamp is not None:
        moment = parse_timestamp(presented.timestamp, settings.timestamp_format)
        if moment is None:
            where = "the t= item of " + settings.header if settings.header_format == "stripe" else None
            raise refuse(
                "malformed_signature",
                f"{where or settings.timestamp_header} is not {describe_format(settings.timestamp_format)}",
            )
    content = signed_content(
        settings, body, presented.timestamp, presented.message_id, url=url, method=method
    )
    matched = None
    for credential in credentials:
        if settings.algorithm in ASYMMETRIC:
            if any(verified(settings, credential.value, content, s) for s in presented.signatures):
                matched = credential
                break
            continue
        key = secret_key(settings, credential.value)
        if key is None:
            continue
        expected = compute_mac(settings, key, content)
        if any(hmac.compare_digest(expected, signature) for signature in presented.signatures):
            matched = credential
            break
    if matched is None:
        raise refuse(
            "invalid_signature", f"header {settings.header} does not match the body with any active secret"
        )
    # Checked after the signature, so that only a genuinely signed but stale request reads as such.
    if moment is not None and settings.tolerance_seconds is not None:
        skew = now - moment
        if abs(skew) > settings.tolerance_seconds:
            direction = "old" if skew > 0 else "in the future"
            raise refuse(
                "timestamp_outside_tolerance",
                f"the signed timestamp {presented.timestamp} is {abs(skew):.0f} s {direction}; "
                f"allowed: {settings.tolerance_seconds} s",
            )
    return matched


def sign_request(
    settings: HubSignatureSettings,
    secret: str,
    body: bytes,
    *,
    now: float,
    message_id: str | None,
    url: str = "",
) -> dict[str, str]:
    """The headers a sender would attach to `body` at time `now`."""
    if settings.algorithm in ASYMMETRIC:
        raise InvalidInput(
            f"secret: {settings.algorithm} signatures are made with the sender's private key; Inbound "
            "only verifies them with the public key, and cannot sign"
        )
    key = secret_key(settings, secret)
    if key is None:
        raise InvalidInput('secret: not valid base64; expected "whsec_" followed by base64')
    timestamp = format_timestamp(now, settings.timestamp_format) if settings.has_timestamp else None
    message_id = (message_id or "msg_" + secrets.token_urlsafe(18)) if settings.has_id else None
    content = signed_content(settings, body, timestamp, message_id, url=url)
    signature = encode_signature(compute_mac(settings, key, content), settings.encoding)
    return render_headers(settings, signature, timestamp, message_id)


def new_secret(settings: HubSignatureSettings) -> str:
    if settings.secret_encoding == "base64":
        return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    # Hex: safe to paste into any vendor's form (no quotes, no HTML entities, no spaces).
    return secrets.token_hex(32)


def replay_key(settings: HubSignatureSettings, headers: Mapping[str, str]) -> tuple[str, int] | None:
    """(what identifies this delivery, for how many seconds) when the signature is time-limited:
    its message id (Standard Webhooks' webhook-id), else the signature itself. A second request
    with the same key inside the tolerance window is a replay. None: nothing bounds a replay."""
    if settings.tolerance_seconds is None or not settings.has_timestamp:
        return None
    presented = read_presented(settings, headers)
    if presented.message_id:
        return "id:" + presented.message_id, settings.tolerance_seconds
    raw = b"".join(sorted(presented.signatures))
    return "sig:" + hashlib.sha256(raw).hexdigest(), settings.tolerance_seconds
