"""Credentials sealed at rest (issue 11): the database holds no token or signing secret in the
clear, senders still authenticate, and `inbound rotate-key` seals everything with a new key."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from cli import main
from storage import secrets
from storage.connectors import insert_connector, insert_credential, list_credentials
from storage.database import Database
from tests.conftest import Server
from tests.helpers import create_connector, send, token_of, unique_email


async def _stored(url: str, credential_id: str) -> str:
    db = Database(url)
    try:
        async with db.read() as conn:
            found = await conn.execute(
                text("SELECT value FROM credentials WHERE id = :i"), {"i": credential_id}
            )
            return str(found.scalar_one())
    finally:
        await db.dispose()


async def test_no_credential_is_stored_in_the_clear(server: Server) -> None:
    connector = create_connector(server.admin, name="Sealed", auth={"preset": "github"})
    secret = token_of(connector)
    stored = await _stored(server.database_url, connector["credentials"][0]["id"])
    assert stored.startswith("fernet:") and secret not in stored
    body = b'{"id": "s1", "email": "sealed@example.com"}'
    import hashlib
    import hmac

    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    answer = server.client.post(
        f"/ingest/{connector['id']}",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )
    assert answer.status_code == 200, answer.text
    token_connector = create_connector(server.admin, name="Sealed token")
    assert send(server.client, token_connector, {"id": "t1", "email": unique_email()}).status_code == 200


def test_rotate_key_seals_every_credential_with_a_new_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # its own .inbound/secret-key
    monkeypatch.delenv("INBOUND_SECRET_KEY", raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    assert main(["migrate", "--database-url", url]) == 0
    asyncio.run(_insert_connector(url))
    before = asyncio.run(_stored(url, "cred_k"))
    first_key = secrets.key_lines()[0]
    assert main(["rotate-key", "--database-url", url]) == 0
    assert "sealed 1 credentials" in capsys.readouterr().out
    keys = secrets.key_lines()
    assert len(keys) == 2 and keys[1] == first_key  # the old key stays, after the new one
    after = asyncio.run(_stored(url, "cred_k"))
    assert after != before and after.startswith("fernet:")
    secrets.KEY_FILE.write_text(keys[0] + "\n")  # the new key alone opens everything now
    assert asyncio.run(_values(url)) == ["tok-123456"]
    secrets.KEY_FILE.write_text(first_key + "\n")  # the old key alone does not
    with pytest.raises(secrets.SecretKeyMismatch, match="sealed with another key"):
        asyncio.run(_values(url))


async def _insert_connector(url: str) -> None:
    now = datetime.now(UTC)
    db = Database(url)
    try:
        async with db.write() as conn:
            await insert_connector(
                conn,
                {
                    "id": "con_keys",
                    "name": "Keys",
                    "auth": {"method": "query_token"},
                    "mapping": "$",
                    "mapping_version": 1,
                    "event_type": "custom.basic",
                    "mode": "live",
                    "status": "active",
                    "create_profiles": True,
                    "allowed_origins": [],
                    "allow_get": False,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            credential = {"id": "cred_k", "connector_id": "con_keys", "value": "tok-123456", "test": False}
            await insert_credential(conn, {**credential, "created_at": now})
    finally:
        await db.dispose()


async def _values(url: str) -> list[str]:
    db = Database(url)
    try:
        async with db.read() as conn:
            return [c["value"] for c in await list_credentials(conn, "con_keys")]
    finally:
        await db.dispose()
