"""A batch shares one transaction per chunk with the locks taken up front (pipeline/batch.py):
concurrent overlapping batches in opposite orders must neither deadlock nor lose anything, and
one event's database error must fail that event only."""

from __future__ import annotations

import re
import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import text

import pipeline.batch
from pipeline import group_writer
from storage import events as event_store
from storage import group_writes
from tests.conftest import Server
from tests.helpers import create_connector, send, unique_email
from tests.test_test_live_isolation_e2e import add_rule, profile


def test_overlapping_batches_in_opposite_orders_at_once(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline.batch, "CHUNK", 7)  # several chunks per batch, interleaving
    connector = create_connector(server.admin)
    add_rule(server, connector, name="Two", reward={"fixed": 2})
    # A whole-rule limit: its advisory lock is taken too (never reached: 10^6 times).
    add_rule(
        server,
        connector,
        name="One, budgeted",
        reward={"fixed": 1},
        limits=[{"scope": "rule", "period": "ever", "max_times": 1_000_000}],
    )
    members = [unique_email(f"both{n}") for n in range(20)]
    for email in members[::2]:  # half exist already, half are created by the batches
        assert send(server.client, connector, {"id": f"seed-{email}", "email": email}).status_code == 200
    rounds = 4
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def sender(name: str, order: list[str]) -> None:
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                for n in range(rounds):
                    barrier.wait(timeout=60)
                    batch = [{"id": f"{name}-{n}-{i}", "email": email} for i, email in enumerate(order)]
                    response = send(client, connector, batch)
                    with lock:
                        answers.append(response)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=sender, args=("up", members)),
        threading.Thread(target=sender, args=("down", members[::-1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert [r.status_code for r in answers] == [200] * 2 * rounds, [r.text[:300] for r in answers]
    for response in answers:
        results = response.json()["results"]
        assert [r["status"] for r in results] == ["processed"] * len(members), results
        assert [r["index"] for r in results] == list(range(len(members)))  # in request order
    for n, email in enumerate(members):
        seeded = 3 if n % 2 == 0 else 0
        assert profile(server, email)["balance"] == seeded + 2 * rounds * 3, email
    check = server.admin.get("/api/ledger/check").json()
    assert check == {"ok": True, "mismatches": []}


@pytest.mark.group_may_fail
def test_one_events_database_error_fails_that_event_only(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector = create_connector(server.admin)
    add_rule(server, connector, name="Ten", reward={"fixed": 10})
    real_claim = event_store.claim_client_event_id
    real_group_rows = group_writes.write_group_rows
    fallbacks = group_writer.stats.fallbacks
    counted = _fallbacks_counted(server)

    async def group_rows(tx: Any, **rows: Any) -> None:
        if any(cid.startswith("boom") for _c, _t, cid, _e in rows["claims"]):
            await tx.fetch("SELECT * FROM no_such_table")  # fails the whole group's transaction
        await real_group_rows(tx, **rows)

    async def claim(conn: Any, connector_id: str, client_event_id: str, *args: Any, **kw: Any) -> Any:
        if client_event_id.startswith("boom"):
            # A real database error: on PostgreSQL it aborts the transaction up to the savepoint.
            await conn.execute(text("SELECT * FROM no_such_table"))
        return await real_claim(conn, connector_id, client_event_id, *args, **kw)

    monkeypatch.setattr(event_store, "claim_client_event_id", claim)
    monkeypatch.setattr(group_writes, "write_group_rows", group_rows)
    members = [unique_email(f"m{n}") for n in range(5)]
    batch = [{"id": f"{'boom' if n == 2 else 'ok'}-{members[n]}", "email": members[n]} for n in range(5)]
    response = send(server.client, connector, batch)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["processed", "processed", "failed", "processed", "processed"]
    failed = results[2]
    assert failed["eventId"] is not None and failed["clientEventId"] == batch[2]["id"]
    assert failed["error"]["code"] == "processing_failed"
    assert failed["reason"].startswith("the event could not be processed")
    assert group_writer.stats.fallbacks == fallbacks + 1  # the group failed, then each event alone
    assert _fallbacks_counted(server) == counted + 1  # operators see it in /metrics
    for n, email in enumerate(members):
        assert profile(server, email)["balance"] == (0 if n == 2 else 10), email
    stored = server.admin.get("/api/events", params={"connector": connector["id"]}).json()["items"]
    by_id = {e["id"]: e for e in stored}
    assert by_id[failed["eventId"]]["status"] == "failed"
    # Sent again once the cause is gone, it is processed (the failed attempt claimed nothing).
    monkeypatch.setattr(event_store, "claim_client_event_id", real_claim)
    again = send(server.client, connector, [batch[2]]).json()["results"][0]
    assert again["status"] == "processed" and again["awards"][0]["points"] == 10
    check = server.admin.get("/api/ledger/check").json()
    assert check == {"ok": True, "mismatches": []}


def test_batches_sharing_client_event_ids_for_different_members_never_fail(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same clientEventIds, each batch its own members, some in reverse order, all at once: each id
    is processed exactly once and the rest are duplicates; no event fails on a deadlock."""
    connector = create_connector(server.admin)
    add_rule(server, connector, name="Three", reward={"fixed": 3})
    tag, senders, size = unique_email("")[1:9], 6, 100
    barrier = threading.Barrier(senders)
    answers: list[httpx.Response] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def sender(k: int) -> None:
        batch = [{"id": f"{tag}-{i}", "email": f"k{k}-{i % 5}-{tag}@example.com"} for i in range(size)]
        try:
            with httpx.Client(base_url=server.url, timeout=120) as client:
                barrier.wait(timeout=60)
                response = send(client, connector, batch[::-1] if k % 2 else batch)
                with lock:
                    answers.append(response)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not errors, errors
    assert [r.status_code for r in answers] == [200] * senders, [r.text[:300] for r in answers]
    statuses: dict[str, list[str]] = {}
    for response in answers:
        for result in response.json()["results"]:
            statuses.setdefault(result["clientEventId"], []).append(result["status"])
    assert len(statuses) == size
    for client_event_id, seen in statuses.items():
        assert sorted(seen) == ["duplicate"] * (senders - 1) + ["processed"], (client_event_id, seen)
    check = server.admin.get("/api/ledger/check").json()
    assert check == {"ok": True, "mismatches": []}


def _fallbacks_counted(server: Server) -> float:
    metrics = server.admin.get("/metrics").text
    return float(re.search(r"^inbound_group_fallbacks_total (\S+)$", metrics, re.M).group(1))  # type: ignore[union-attr]
