"""Intrinsic events are never lost and never counted twice, on SQLite and PostgreSQL: one owed by
a commit whose process died before reporting it is reported by the next start-up's sweep; two
reporters at once count it once (its clientEventId `intrinsic:<id>`)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from pipeline.intrinsic import report_owed
from settings import load_settings
from storage import intrinsic as store
from storage.database import Database
from storage.driver import ConnTransaction
from tests.conftest import ADMIN_TOKEN, NO_DATE_BOUNDS, free_port, serve
from tests.helpers import unique_email
from tests.test_webhooks_e2e import fresh_url  # noqa: F401 - the fixture


def _settings(url: str) -> Any:
    return load_settings(
        environ={}, database_url=url, admin_token=ADMIN_TOKEN, port=free_port(), rate_limit_refused="off",
        **NO_DATE_BOUNDS,
    )  # fmt: skip


def _owe(url: str, email: str, n: int) -> list[int]:
    """As a commit would leave them if its process died before reporting: owed, unreported."""

    async def run() -> list[int]:
        db = Database(url)
        try:
            async with db.write() as conn:
                now = datetime.now(UTC)
                event = {
                    "type": "EARNED_BADGE",
                    "subject": {"kind": "default", "value": email},
                    "occurredAt": now.isoformat(),
                    "payload": {"tags": {"badge": "bdg_x"}, "counters": {"depth": 1}},
                }
                return [
                    await store.owe(ConnTransaction(conn), event, test=False, occurred_at=now, now=now)
                    for _ in range(n)
                ]
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_an_owed_event_is_reported_at_start_up_and_counted_once(fresh_url: str) -> None:  # noqa: F811
    settings = _settings(fresh_url)
    email = unique_email()
    with serve(settings) as server:
        member = server.admin.post("/api/members", json={"identities": [{"value": email}]}).json()
        rule = {
            "name": "Badge bonus",
            "status": "active",
            "source": {"event_type": "EARNED_BADGE"},
            "reward": {"fixed": 7},
        }
        assert server.admin.post("/api/rules", json=rule).status_code == 201
    owed = _owe(fresh_url, email, 2)
    with serve(_settings(fresh_url)) as server:
        deadline = time.monotonic() + 15
        while (
            server.admin.get(f"/api/members/{member['id']}").json()["balance"] < 14
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        assert server.admin.get(f"/api/members/{member['id']}").json()["balance"] == 14
        # Reported again (a sweep meeting a report in flight, a retry): the same event, not a new one.
        again = asyncio.run(_report_again(fresh_url, owed))
        assert again == {}  # nothing is owed any more
        events = server.admin.get("/api/events", params={"connector": "type:EARNED_BADGE"}).json()["items"]
        assert sorted(e["clientEventId"] for e in events) == sorted(f"intrinsic:{i}" for i in owed)


async def _report_again(url: str, ids: list[int]) -> dict[int, Any]:
    db = Database(url)
    try:
        return await report_owed(db, _settings(url), ids)
    finally:
        await db.dispose()


def test_two_reporters_at_once_count_an_owed_event_once(fresh_url: str) -> None:  # noqa: F811
    settings = _settings(fresh_url)
    email = unique_email()
    with serve(settings) as server:
        member = server.admin.post("/api/members", json={"identities": [{"value": email}]}).json()
        rule = {
            "name": "Badge bonus",
            "status": "active",
            "source": {"event_type": "EARNED_BADGE"},
            "reward": {"fixed": 3},
        }
        assert server.admin.post("/api/rules", json=rule).status_code == 201
    owed = _owe(fresh_url, email, 1)

    async def both() -> list[dict[int, Any]]:
        one, two = Database(fresh_url), Database(fresh_url)
        try:
            return list(
                await asyncio.gather(report_owed(one, settings, owed), report_owed(two, settings, owed))
            )
        finally:
            await one.dispose()
            await two.dispose()

    results = asyncio.run(both())
    statuses = sorted(r[owed[0]]["result"]["status"] for r in results if owed[0] in r)
    assert statuses in (["duplicate", "processed"], ["processed"]), statuses
    with serve(_settings(fresh_url)) as server:
        assert server.admin.get(f"/api/members/{member['id']}").json()["balance"] == 3
