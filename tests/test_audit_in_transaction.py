"""An admin write's audit row is stored in the write's own transaction (storage/audit_slot.py):
no change is kept without its row, even when the server stops before the answer is recorded.

Before, the row was inserted after the handler's transaction had committed, in one of its own: a
server stopped in between kept the change and lost its audit row.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from storage.admin_keys import audit_table, insert_key, keys_table
from storage.audit_slot import NOT_ANSWERED, audit_slot, record_answer
from storage.database import Database
from tests.conftest import Server


def _row(path: str) -> dict[str, Any]:
    return {
        "at": datetime.now(UTC),
        "key_id": None,
        "key_name": "admin token",
        "role": "owner",
        "method": "POST",
        "path": path,
        "request": {"name": "audited"},
        "before": None,
    }


def _key(key_id: str) -> dict[str, Any]:
    return {
        "id": key_id,
        "name": "audited key",
        "role": "viewer",
        "digest": uuid.uuid4().hex * 2,
        "prefix": "adk_",
        "created_at": datetime.now(UTC),
    }


async def _audit_rows(db: Database, path: str) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = await conn.execute(select(audit_table).where(audit_table.c.path == path))
        return [dict(r) for r in rows.mappings()]


async def test_a_committed_write_has_its_audit_row_even_if_the_answer_is_never_recorded(db: Database) -> None:
    path = f"/api/admin-keys/{uuid.uuid4().hex[:8]}"
    key_id = f"key_{uuid.uuid4().hex[:12]}"
    with audit_slot(lambda: _row(path)) as slot:
        async with db.write() as conn:
            await insert_key(conn, _key(key_id))
    # The server "stops" here: no answer is recorded. The change and its row were committed together.
    [row] = await _audit_rows(db, path)
    assert row["id"] == slot.id
    assert row["status"] == NOT_ANSWERED
    assert row["request"] == {"name": "audited"}
    async with db.read() as conn:
        assert (await conn.execute(select(keys_table).where(keys_table.c.id == key_id))).first()
    async with db.write() as conn:
        await record_answer(conn, row["id"], 201, {"id": key_id})
    [answered] = await _audit_rows(db, path)
    assert (answered["status"], answered["after"]) == (201, {"id": key_id})


async def test_a_write_rolled_back_leaves_no_audit_row(db: Database) -> None:
    path = f"/api/admin-keys/{uuid.uuid4().hex[:8]}"
    with audit_slot(lambda: _row(path)) as slot, pytest.raises(RuntimeError):
        async with db.write() as conn:
            await insert_key(conn, _key(f"key_{uuid.uuid4().hex[:12]}"))
            raise RuntimeError("refused")
    assert slot.id is None
    assert await _audit_rows(db, path) == []


async def test_one_row_for_a_request_that_writes_twice(db: Database) -> None:
    path = f"/api/admin-keys/{uuid.uuid4().hex[:8]}"
    with audit_slot(lambda: _row(path)):
        for _ in range(2):
            async with db.write() as conn:
                await insert_key(conn, _key(f"key_{uuid.uuid4().hex[:12]}"))
    assert len(await _audit_rows(db, path)) == 1


def test_over_http_the_row_carries_the_answer(server: Server) -> None:
    name = f"audited {uuid.uuid4().hex[:8]}"
    made = server.admin.post("/api/admin-keys", json={"name": name, "role": "viewer"})
    assert made.status_code == 201, made.text
    [row] = [
        a
        for a in server.admin.get("/api/audit?path=/api/admin-keys").json()["items"]
        if (a["request"] or {}).get("name") == name
    ]
    assert row["status"] == 201
    assert row["after"]["id"] == made.json()["id"]
    assert row["after"]["token"] == "***"
