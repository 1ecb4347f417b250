"""Compressed request bodies (RudderStack's SDKs gzip by default): decompressed within the body
limit, a zip bomb refused with 413 before it takes the memory, signatures checked over the bytes
as sent."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import uuid
import zlib

import pytest

from connectors.encodings import decode_content
from errors import MalformedBody, PayloadTooLarge, UnsupportedMediaType
from tests.conftest import Server
from tests.helpers import assert_error, create_connector, token_of, unique_email


def _event() -> bytes:
    return json.dumps({"id": "z-" + uuid.uuid4().hex[:8], "email": unique_email("zip")}).encode()


def test_decode_content_units() -> None:
    data = b'{"a": 1}' * 100
    assert decode_content(gzip.compress(data), "gzip", limit=10_000) == data
    assert decode_content(zlib.compress(data), "deflate", limit=10_000) == data
    raw_deflate = zlib.compressobj(wbits=-15)
    assert decode_content(raw_deflate.compress(data) + raw_deflate.flush(), "deflate", limit=10_000) == data
    assert decode_content(data, "identity", limit=10) == data
    assert decode_content(gzip.compress(gzip.compress(data)), "gzip, gzip", limit=10_000) == data
    with pytest.raises(PayloadTooLarge, match="once decompressed"):
        decode_content(gzip.compress(b"0" * 10_000_000), "gzip", limit=1_000_000)
    with pytest.raises(MalformedBody, match="not valid gzip"):
        decode_content(b"not gzip at all", "gzip", limit=1000)
    with pytest.raises(MalformedBody, match="not valid gzip"):
        decode_content(gzip.compress(data)[:-12], "gzip", limit=10_000)  # cut short
    with pytest.raises(UnsupportedMediaType, match="'br' is not accepted"):
        decode_content(data, "br", limit=1000)


def test_gzipped_and_deflated_events_are_processed(server: Server) -> None:
    connector = create_connector(server.admin, name="Gzip")
    url = f"/ingest/{connector['id']}?token={token_of(connector)}"
    for encoding, pack in (("gzip", gzip.compress), ("deflate", zlib.compress)):
        answer = server.client.post(
            url,
            content=pack(_event()),
            headers={"Content-Type": "application/json", "Content-Encoding": encoding},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["counts"] == {"processed": 1}


def test_a_zip_bomb_is_refused_and_logged(server: Server) -> None:
    connector = create_connector(server.admin, name="Bomb")
    bomb = gzip.compress(b" " * (8 * 1024 * 1024))  # 8 MB of spaces: ~8 KB sent, over the 64 KB limit
    assert len(bomb) < 64 * 1024
    answer = server.client.post(
        f"/ingest/{connector['id']}?token={token_of(connector)}",
        content=bomb,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert_error(answer, 413, "payload_too_large", "once decompressed")
    logged = server.admin.get(f"/api/requests/{answer.headers['x-request-id']}").json()
    assert logged["statusCode"] == 413
    assert logged["bodyBytes"] == len(bomb)  # what came over the wire
    unknown = server.client.post(
        f"/ingest/{connector['id']}?token={token_of(connector)}",
        content=_event(),
        headers={"Content-Type": "application/json", "Content-Encoding": "br"},
    )
    assert_error(unknown, 415, "unsupported_content_encoding", "'br'")


def test_a_signature_covers_the_body_as_sent(server: Server) -> None:
    connector = create_connector(
        server.admin, name="Signed gzip", auth={"preset": "github"}, secret="s3cret-s3cret"
    )
    wire = gzip.compress(_event())
    signature = "sha256=" + hmac.new(b"s3cret-s3cret", wire, hashlib.sha256).hexdigest()
    answer = server.client.post(
        f"/ingest/{connector['id']}",
        content=wire,
        headers={
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "X-Hub-Signature-256": signature,
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["counts"] == {"processed": 1}
