"""Senders that sign with a private key (SendGrid's ECDSA, Standard Webhooks v1a's ed25519), over
real HTTP on both databases: the connector holds only the public key, and Inbound verifies."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.conftest import Server
from tests.helpers import assert_error, create_connector, unique_email


def _sendgrid() -> tuple[str, Callable[[bytes, str], dict[str, str]]]:
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def headers(body: bytes, timestamp: str) -> dict[str, str]:
        signature = private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        }

    return base64.b64encode(public).decode(), headers


def _v1a() -> tuple[str, Callable[[bytes, str], dict[str, str]]]:
    private = ed25519.Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def headers(body: bytes, timestamp: str) -> dict[str, str]:
        msg_id = f"msg_{time.monotonic_ns()}"
        signature = private.sign(f"{msg_id}.{timestamp}.".encode() + body)
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": "v1a," + base64.b64encode(signature).decode(),
        }

    return "whpk_" + base64.b64encode(public).decode(), headers


SENDERS = {"sendgrid": _sendgrid, "standard-webhooks-v1a": _v1a}
MAPPING = '{"clientEventId": $string(id), "profile": {"value": email}}'


@pytest.mark.parametrize("preset", sorted(SENDERS))
def test_a_private_key_signed_request_is_verified_with_the_public_key(server: Server, preset: str) -> None:
    public, sign = SENDERS[preset]()
    connector = create_connector(
        server.admin, auth={"method": "hub_signature", "preset": preset}, secret=public, mapping=MAPPING
    )
    body = json.dumps({"id": "a1", "email": unique_email()}).encode()
    headers = {"Content-Type": "application/json", **sign(body, str(int(time.time())))}
    answer = server.client.post(server.ingest_url(connector["id"]), content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["status"] == "processed"
    # Signed by another key pair: refused.
    _, other = SENDERS[preset]()
    forged = {"Content-Type": "application/json", **other(body, str(int(time.time())))}
    refused = server.client.post(server.ingest_url(connector["id"]), content=body, headers=forged)
    assert_error(refused, 401, "invalid_signature")
    # No key at all, or not a public key: a 422 that says what to paste.
    no_key = server.admin.post(
        "/api/connectors", json={"name": "x", "auth": {"preset": preset}, "mapping": MAPPING}
    )
    assert_error(no_key, 422, "invalid_connector", "public key")
    wrong = server.admin.post(
        "/api/connectors",
        json={"name": "x", "auth": {"preset": preset}, "mapping": MAPPING, "secret": "not-a-key"},
    )
    assert_error(wrong, 422, "invalid_connector", "public key")


def test_a_new_credential_for_a_public_key_sender_must_be_given(server: Server) -> None:
    public, _ = _v1a()
    connector = create_connector(
        server.admin, auth={"preset": "standard-webhooks-v1a"}, secret=public, mapping=MAPPING
    )
    url = f"/api/connectors/{connector['id']}/credentials"
    assert_error(server.admin.post(url, json={}), 422, "invalid_credential", "whpk_")
    assert server.admin.post(url, json={"value": _v1a()[0]}).status_code == 201
