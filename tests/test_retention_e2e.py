"""Retention (issue 11): the request log and raw payloads go after their periods; events, their
traces and the ledger stay, and the ledger still adds up. The clock is the only thing moved."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli import main
from pipeline.retention import prune
from settings import load_settings
from storage.database import Database
from tests.conftest import Server
from tests.helpers import create_connector, send, unique_email


async def test_old_requests_and_payloads_are_pruned_and_the_ledger_stays(server: Server) -> None:
    connector = create_connector(server.admin, name="Retained")
    rule = {
        "name": "Retained",
        "status": "active",
        "source": {"connector": connector["id"]},
        "reward": {"fixed": 2},
    }
    server.admin.post("/api/rules", json=rule)
    answer = send(server.client, connector, {"id": "old-1", "email": unique_email()})
    request_id, event_id = answer.headers["x-request-id"], answer.json()["results"][0]["eventId"]
    profile_id = answer.json()["results"][0]["profile"]["id"]
    settings = load_settings(
        environ={}, database_url=server.database_url, retention_request_days=30, retention_raw_days=60
    )
    db = Database(server.database_url)
    try:
        nothing = await prune(db, settings)  # today: nothing is old enough
        assert server.admin.get(f"/api/requests/{request_id}").status_code == 200
        later = await prune(db, settings, now=datetime.now(UTC) + timedelta(days=45))
        assert later.request_rows >= 1 and later.raw_payloads == nothing.raw_payloads == 0
        assert server.admin.get(f"/api/requests/{request_id}").status_code == 404
        assert server.admin.get(f"/api/events/{event_id}").json()["raw"] is not None  # 45 < 60 days
        last = await prune(db, replace(settings), now=datetime.now(UTC) + timedelta(days=61))
        assert last.raw_payloads >= 1
    finally:
        await db.dispose()
    event = server.admin.get(f"/api/events/{event_id}").json()
    assert event["raw"] is None and event["mapped"] is None
    assert event["status"] == "processed" and event["trace"]  # the story of the event stays
    ledger = server.admin.get(f"/api/profiles/{profile_id}/ledger").json()
    assert ledger["balance"] == 2 and ledger["items"][0]["eventId"] == event_id
    assert server.admin.get("/api/ledger/check").json()["ok"]
    replay = server.admin.post(
        f"/api/connectors/{connector['id']}/replay", json={"statuses": ["processed"]}
    ).json()
    assert replay["counts"]["rawEvents"] == 0  # a pruned event has nothing to replay


def test_inbound_prune_says_what_it_did(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'prune.db'}"
    assert main(["prune", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "pruned 0 request-log rows older than 90 days" in out and "never pruned" in out


async def test_settled_delivery_logs_go_with_the_request_log_and_pending_ones_stay(database_url: str) -> None:
    """Delivered and failed webhook messages and reported intrinsic events are pruned after the
    request log's period; a pending message and an unreported event stay, whatever their age."""
    from sqlalchemy import func, select

    from storage.driver import ConnTransaction
    from storage.intrinsic import intrinsic, owe, reported
    from storage.retention import prune_delivery_logs
    from storage.webhooks import delete_endpoint, insert_endpoint, messages

    db = Database(database_url)
    old = datetime.now(UTC) - timedelta(days=200)
    endpoint = f"we_{uuid.uuid4().hex[:12]}"
    try:
        async with db.write() as conn:
            await insert_endpoint(
                conn,
                {
                    "id": endpoint,
                    "url": "https://x.test/h",
                    "description": None,
                    "kinds": ["event.processed"],
                    "test": False,
                    "status": "disabled",
                    "disabled_reason": None,
                    "secret": "x",
                    "previous_secret": None,
                    "previous_expires_at": None,
                    "failing_since": None,
                    "created_at": old,
                    "updated_at": old,
                },
            )  # fmt: skip
            for i, status in enumerate(("delivered", "failed", "pending")):
                await conn.execute(
                    messages.insert().values(
                        message_id=f"msg_{endpoint}_{i}",
                        endpoint_id=endpoint,
                        kind="event.processed",
                        payload="{}",
                        test=False,
                        status=status,
                        attempts=1,
                        next_attempt_at=old,
                        created_at=old,
                    )
                )
            event = {"type": "EARNED_BADGE", "subject": {"kind": "default", "value": "x"}}
            done_id = await owe(ConnTransaction(conn), event, test=False, occurred_at=old, now=old)
            waiting_id = await owe(ConnTransaction(conn), event, test=False, occurred_at=old, now=old)
            await reported(conn, done_id, "req_x", old)
        async with db.write() as conn:
            assert await prune_delivery_logs(conn, datetime.now(UTC) - timedelta(days=90)) >= 3
        async with db.read() as conn:
            left = (
                await conn.execute(select(messages.c.status).where(messages.c.endpoint_id == endpoint))
            ).all()
            assert [r[0] for r in left] == ["pending"]
            ids = {
                r[0]
                for r in await conn.execute(
                    select(intrinsic.c.id).where(intrinsic.c.id.in_([done_id, waiting_id]))
                )
            }
            assert ids == {waiting_id}
            assert (await conn.execute(select(func.count()).select_from(intrinsic))).scalar_one() >= 1
    finally:
        async with db.write() as conn:
            await conn.execute(messages.delete().where(messages.c.endpoint_id == endpoint))
            await conn.execute(intrinsic.delete().where(intrinsic.c.id == waiting_id))
            await delete_endpoint(conn, endpoint)
        await db.dispose()
