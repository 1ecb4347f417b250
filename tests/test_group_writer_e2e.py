"""Several requests in ONE write group, on both databases: what HTTP tests cannot force.

The jobs are built as `pipeline.receive.run_events` builds them (snapshot, mapping, plan) and
written together by `pipeline.group_steps.write_group` in one transaction on the driver, as the
group writer does when requests arrive together. Checked: arrival order decides who creates a
member and who is a duplicate; a test event's new member becomes live when a live event of the
same group uses it; the ledger adds up.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from pipeline import group_writer
from pipeline.context import IngestRequest, RunContext
from pipeline.group_plan import Job, plan_job
from pipeline.group_steps import write_group
from pipeline.outcomes import first_outcome
from pipeline.receive import _map_all
from pipeline.snapshot import load_for_ingest
from settings import load_settings
from storage.database import POSTGRES_WRITER_LANES, Database
from storage.ledger import mismatched_balances
from tests.conftest import Server
from tests.helpers import create_connector, unique_email
from tests.test_test_live_isolation_e2e import add_rule, profile


async def _job(db: Database, connector: dict[str, Any], events: list[dict[str, Any]]) -> Job:
    settings = load_settings(environ={}, database_url=db.url)
    snapshot, judging = await load_for_ingest(db, settings, connector["id"])
    request = IngestRequest(
        connector_id=connector["id"],
        method="POST",
        headers={"content-type": "application/json"},
        query={},
        body=b"",
        content_type="application/json",
        received_at=datetime.now(UTC),
    )
    ctx = RunContext(
        settings=settings,
        snapshot=snapshot,
        request=request,
        test=snapshot.in_test_mode,
        event_type=snapshot.row["event_type"],
        schema=judging.schema,
        rules=judging.rules,
        rule_statuses=judging.rule_statuses,
    )
    return plan_job(Job(ctx, _map_all(snapshot, request, events), None, []))


async def test_one_group_of_several_requests_judged_in_arrival_order(server: Server) -> None:
    live = create_connector(server.admin)
    tester = create_connector(server.admin, mode="test")
    no_create = create_connector(server.admin, createProfiles=False)
    add_rule(server, live, name="Group five", reward={"fixed": 5})
    ann, bob = unique_email("grp-ann"), unique_email("grp-bob")
    db = Database(server.database_url)
    try:
        jobs = [
            # Bob: unknown to a connector that creates no one, then created by the live connector.
            await _job(db, no_create, [{"id": "nc-1", "email": bob}]),
            await _job(db, live, [{"id": "l-1", "email": bob}]),
            # Ann: created by test data first, then used by a live event: she becomes live.
            await _job(db, tester, [{"id": "t-1", "email": ann}]),
            await _job(db, live, [{"id": "l-2", "email": ann}, {"id": "l-1", "email": ann}]),
        ]
        async with db.raw.transaction() as tx:
            await write_group(tx, jobs)
        statuses = [[r["status"] for r in job.results] for job in jobs]
        assert statuses == [["parked"], ["processed"], ["processed"], ["processed", "duplicate"]]
        assert jobs[1].results[0]["profile"]["created"] is True
        assert jobs[2].results[0]["profile"]["created"] is True
        assert jobs[3].results[0]["profile"]["created"] is False
        duplicate = jobs[3].results[1]
        assert (
            duplicate["reason"]
            == f"clientEventId 'l-1' was already received (event {jobs[1].results[0]['eventId']})"
        )
        async with db.read() as conn:
            first = await first_outcome(conn, jobs[1].results[0]["eventId"])
            assert first["status"] == "processed" and [a["points"] for a in first["awards"]] == [5]
            assert await mismatched_balances(conn) == []
    finally:
        await db.dispose()
    assert profile(server, bob)["balance"] == 5
    ann_now = profile(server, ann)
    assert ann_now["balance"] == 5 and ann_now.get("test") is not True
    # A purge of the test connector's data now leaves Ann (a live member) and her live points.
    purged = server.admin.post(f"/api/connectors/{tester['id']}/purge-test-data")
    assert purged.status_code == 200, purged.text
    assert profile(server, ann)["balance"] == 5


async def test_postgresql_writes_groups_side_by_side_and_each_event_counts_once(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL commits up to POSTGRES_WRITER_LANES groups at once (SQLite one): requests that
    arrive while a group is in flight go into the next lane. Overlapping groups still count each
    clientEventId once, a member's points add up, and the ledger holds."""
    connector = create_connector(server.admin)
    add_rule(server, connector, name="Lane five", reward={"fixed": 5})
    emails = [unique_email("lane") for _ in range(3)]
    in_flight, most = 0, 0
    real_write_group = group_writer.write_group

    async def slow_write_group(*args: Any, **kwargs: Any) -> int:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            await asyncio.sleep(0.05)  # a slow server: the next requests arrive meanwhile
            return await real_write_group(*args, **kwargs)
        finally:
            in_flight -= 1

    monkeypatch.setattr(group_writer, "write_group", slow_write_group)
    fallbacks = group_writer.stats.fallbacks
    db = Database(server.database_url)
    try:
        writer = group_writer.writer_of(db)
        # 24 requests, each event sent twice (by different requests): 12 distinct events.
        jobs = [
            await _job(db, connector, [{"id": f"lane-{n % 12}", "email": emails[n % 3]}]) for n in range(24)
        ]
        outcomes = []
        for wave in (jobs[:8], jobs[8:16], jobs[16:]):
            pending = [asyncio.ensure_future(writer.write(job)) for job in wave]
            await asyncio.sleep(0.01)  # the next wave arrives while this one is being written
            outcomes += pending
        results = [r for done in await asyncio.gather(*outcomes) for r in done[0]]
        async with db.read() as conn:
            assert await mismatched_balances(conn) == []
    finally:
        await db.dispose()
    assert most == (1 if server.database_url.startswith("sqlite") else POSTGRES_WRITER_LANES)
    assert group_writer.stats.fallbacks == fallbacks  # no group failed (a deadlock would)
    assert sorted(r["status"] for r in results) == ["duplicate"] * 12 + ["processed"] * 12
    for email in emails:
        assert profile(server, email)["balance"] == 4 * 5
