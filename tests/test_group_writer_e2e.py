"""Several requests in ONE write group, on both databases: what HTTP tests cannot force.

The jobs are built as `pipeline.receive.run_events` builds them (snapshot, mapping, plan) and
written together by `pipeline.group_steps.write_group` in one transaction on the driver, as the
group writer does when requests arrive together. Checked: arrival order decides who creates a
member and who is a duplicate; a test event's new member becomes live when a live event of the
same group uses it; the ledger adds up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pipeline.context import IngestRequest, RunContext
from pipeline.group_plan import Job, plan_job
from pipeline.group_steps import write_group
from pipeline.outcomes import first_outcome
from pipeline.receive import _map_all
from pipeline.snapshot import load_for_ingest
from settings import load_settings
from storage.database import Database
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
