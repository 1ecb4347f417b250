"""The request log's row rides in the last chunk's transaction on success, and is never lost.

A refused request is logged on its own; a request whose log row cannot be written with its
events still keeps its events and is logged on its own; a rule or credential changed through
another process's database handle is seen by the very next request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import pipeline.receive
from storage import connectors as connector_store
from storage.database import Database
from tests.conftest import Server
from tests.helpers import create_connector, send, token_of, unique_email


def _logged(server: Server, request_id: str) -> dict[str, Any]:
    response = server.admin.get(f"/api/requests/{request_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_success_and_refusal_are_both_logged(server: Server) -> None:
    connector = create_connector(server.admin)
    ok = send(server.client, connector, {"id": "a1", "email": unique_email()})
    assert ok.status_code == 200, ok.text
    logged = _logged(server, ok.json()["requestId"])
    assert logged["statusCode"] == 200 and logged["counts"] == {"processed": 1}, logged
    refused = send(server.client, connector, {"id": "a2", "email": unique_email()}, token="wrong")
    assert refused.status_code == 401
    items = server.admin.get("/api/requests", params={"connector": connector["id"]}).json()["items"]
    assert [i["statusCode"] for i in items] == [401, 200], items
    assert items[0]["auth"]["outcome"] == "refused" and items[0]["auth"]["reason"], items[0]


def test_a_log_row_that_fails_with_the_events_is_written_on_its_own(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector = create_connector(server.admin)

    async def broken(conn: Any, row: dict[str, Any]) -> None:
        raise RuntimeError("log table unavailable")

    monkeypatch.setattr(pipeline.receive, "log_request", broken)
    email = unique_email()
    response = send(server.client, connector, [{"id": "b1", "email": email}, {"id": "b2", "email": email}])
    monkeypatch.undo()
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["processed", "processed"], body
    logged = _logged(server, body["requestId"])
    assert logged["statusCode"] == 200 and logged["counts"] == {"processed": 2}, logged
    events = server.admin.get("/api/events", params={"request": body["requestId"]}).json()["items"]
    assert sorted(e["status"] for e in events) == ["processed", "processed"], events


def test_a_refused_body_is_logged_with_its_reason(server: Server) -> None:
    connector = create_connector(server.admin)
    response = send(server.client, connector, [])
    assert response.status_code == 400, response.text
    items = server.admin.get("/api/requests", params={"connector": connector["id"]}).json()["items"]
    assert len(items) == 1 and items[0]["statusCode"] == 400, items
    assert items[0]["error"]["code"] == "malformed_body" and items[0]["auth"]["outcome"] == "accepted", items


async def test_a_credential_revoked_by_another_process_is_refused_at_once(server: Server) -> None:
    connector = create_connector(server.admin)
    token = token_of(connector)
    assert send(server.client, connector, {"id": "c1", "email": unique_email()}).status_code == 200
    other = Database(server.database_url)  # what another app process on the same database does
    try:
        async with other.write() as conn:
            creds = await connector_store.list_credentials(conn, connector["id"])
            credential_id = next(c["id"] for c in creds if c["value"] == token)
            now = datetime.now(UTC)
            assert await connector_store.revoke_credential(conn, connector["id"], credential_id, now)
    finally:
        await other.dispose()
    refused = send(server.client, connector, {"id": "c2", "email": unique_email()}, token=token)
    assert refused.status_code == 401, refused.text
