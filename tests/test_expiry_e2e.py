"""Points expiry end to end, on SQLite and PostgreSQL, with the clock moved (the only thing mocked;
only back, for passes that must write nothing: an expiry entry is written after what it expires):
a month that ends across a daylight-saving change, spending before expiry, a refund after expiry
(its points expire as they would have), a replay after expiry, two passes at once, and the ledger
check (balances and lots) after each."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from pipeline import expiry
from settings import load_settings
from storage.database import Database
from storage.driver import ConnTransaction
from storage.ledger import add_entry_raw
from tests.conftest import ADMIN_TOKEN, NO_DATE_BOUNDS, Server, free_port, serve
from tests.helpers import assert_error, create_connector, send, unique_email
from tests.test_webhooks_e2e import fresh_url  # noqa: F401 - the fixture

OCTOBER = "2026-10-20T10:00:00Z"  # summer time in Brussels (UTC+2); it ends on 25 October
END_OF_OCTOBER = "2026-10-31T23:00:00Z"  # 1 November 00:00 in Brussels, winter time (UTC+1)


@pytest.fixture
def running(fresh_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:  # noqa: F811
    settings = load_settings(
        environ={},
        database_url=fresh_url,
        admin_token=ADMIN_TOKEN,
        port=free_port(),
        rate_limit_refused="off",
        timezone="Europe/Brussels",
        expiry_interval_seconds=0,
        **NO_DATE_BOUNDS,
    )
    with serve(settings) as server:
        server.settings = settings  # type: ignore[attr-defined]
        yield server
        check = server.admin.get("/api/ledger/check").json()
        assert check == {"ok": True, "mismatches": []}, check


def _at(monkeypatch: pytest.MonkeyPatch, when: str | None) -> None:
    """The pass's clock at `when`, or the real one again (None). The events are dated in October
    2026, so the real clock is always past their expiry."""
    if when is None:
        monkeypatch.undo()
        return
    moment = datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone(UTC)
    monkeypatch.setattr(expiry, "clock", lambda: moment)


def _run(server: Server) -> dict[str, Any]:
    answer = server.admin.post("/api/expiry/run")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _earn(server: Server, points: int, at: str = OCTOBER) -> tuple[dict[str, Any], int]:
    connector = create_connector(server.admin)
    rule = {"name": f"{points} points", "status": "active", "source": {"connector": connector["id"]},
            "reward": {"fixed": points}}  # fmt: skip
    assert server.admin.post("/api/rules", json=rule).status_code == 201
    result = send(server.client, connector, {"id": "o-1", "email": unique_email(), "at": at}).json()[
        "results"
    ][0]
    assert result["status"] == "processed", result
    return connector, int(result["profile"]["id"])


def _member(server: Server, member_id: int) -> dict[str, Any]:
    return dict(server.admin.get(f"/api/members/{member_id}").json())


def _ledger(server: Server, member_id: int) -> list[dict[str, Any]]:
    return list(server.admin.get(f"/api/profiles/{member_id}/ledger").json()["items"])


def test_points_expire_at_the_local_end_of_the_month_across_a_dst_change(
    running: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = running.admin.put("/api/expiry-policy", json={"kind": "end_of_month", "months": 0})
    assert policy.json()["description"] == "points expire at the end of the month they were earned in"
    _connector, member_id = _earn(running, 100)
    reward = running.admin.post("/api/rewards", json={"name": "Cap", "cost": 30}).json()
    assert (
        running.admin.post(
            f"/api/members/{member_id}/reward-purchases", json={"reward": reward["id"]}
        ).status_code
        == 201
    )

    _at(monkeypatch, "2026-10-31T22:59:59Z")  # 23:59:59 in Brussels: still October
    expiring = running.admin.get(f"/api/members/{member_id}/expiring").json()
    assert expiring["expiring"] == [{"at": "2026-10-31T23:00:00Z", "points": 70}]  # the purchase took 30
    assert _run(running)["points"] == 0

    _at(monkeypatch, None)
    preview = running.admin.get("/api/expiry/preview")
    assert preview.json() == {"members": 1, "entries": 1, "points": 70, "rewards": 0}, preview.text
    assert _member(running, member_id)["balance"] == 70  # a preview writes nothing
    assert _run(running) == {"members": 1, "entries": 1, "points": 70, "rewards": 0}
    assert running.admin.get("/api/expiry/preview").json()["points"] == 0
    expired = next(e for e in _ledger(running, member_id) if e["kind"] == "expiry")
    assert expired["points"] == -70 and expired["occurredAt"] == END_OF_OCTOBER
    assert _member(running, member_id)["balance"] == 0
    assert _member(running, member_id)["lifetimePoints"] == 100  # expiry never lowers the lifetime
    assert _run(running)["points"] == 0  # a second pass expires nothing twice
    reported = running.admin.get("/api/events", params={"connector": "type:POINTS_EXPIRED"}).json()["items"]
    assert len(reported) == 1 and reported[0]["status"] == "processed"


def test_a_refund_after_expiry_gives_back_points_that_expire_as_they_would_have(
    running: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    running.admin.put("/api/expiry-policy", json={"kind": "end_of_month", "months": 0})
    _connector, member_id = _earn(running, 50)
    reward = running.admin.post("/api/rewards", json={"name": "Mug", "cost": 50}).json()
    bought = running.admin.post(
        f"/api/members/{member_id}/reward-purchases", json={"reward": reward["id"]}
    ).json()
    assert _run(running)["points"] == 0  # everything was spent before it could expire
    cancelled = running.admin.post(f"/api/issued-rewards/{bought['id']}/cancel", json={"note": "late"})
    assert cancelled.json()["balance"] == 50
    expiring = running.admin.get(f"/api/members/{member_id}/expiring").json()
    assert expiring["dueNow"] == [{"at": END_OF_OCTOBER, "points": 50}]  # October's points, still
    assert _run(running)["points"] == 50
    assert _member(running, member_id)["balance"] == 0


def test_a_replay_after_expiry_keeps_the_ledger_whole(
    running: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    running.admin.put("/api/expiry-policy", json={"kind": "days", "days": 10})
    connector, member_id = _earn(running, 40)
    assert _run(running)["points"] == 40
    rule = running.admin.get("/api/rules").json()["items"][0]
    running.admin.patch(f"/api/rules/{rule['id']}", json={"reward": {"fixed": 60}})
    replayed = running.admin.post(f"/api/connectors/{connector['id']}/replay", json={"apply": True})
    assert replayed.status_code == 200 and replayed.json()["pointsDelta"] == 20, replayed.text
    # The 20 more were earned in October too: they are due at once, and expire at the next pass.
    assert running.admin.get(f"/api/members/{member_id}/expiring").json()["dueNow"][0]["points"] == 20
    assert _run(running)["points"] == 20
    running.admin.patch(f"/api/rules/{rule['id']}", json={"reward": {"fixed": 10}})
    running.admin.post(f"/api/connectors/{connector['id']}/replay", json={"apply": True})
    assert _member(running, member_id)["balance"] == -50  # the correction takes back what had expired too
    assert _run(running)["points"] == 0


def test_two_passes_at_once_expire_once(running: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    running.admin.put("/api/expiry-policy", json={"kind": "days", "days": 1})
    members = [_earn(running, 10 + i)[1] for i in range(5)]
    settings = running.settings  # type: ignore[attr-defined]

    async def twice() -> list[expiry.Expired]:
        one, two = Database(settings.database_url), Database(settings.database_url)
        try:
            return list(await asyncio.gather(expiry.expire(one, settings), expiry.expire(two, settings)))
        finally:
            await one.dispose()
            await two.dispose()

    done = asyncio.run(twice())
    assert sum(d.points for d in done) == sum(10 + i for i in range(5))
    assert all(_member(running, m)["balance"] == 0 for m in members)


def test_the_policy_and_its_mistakes(running: Server) -> None:
    assert running.admin.get("/api/expiry-policy").json() == {
        "policy": {"kind": "never"},
        "description": "points never expire",
    }
    put = running.admin.put
    assert_error(put("/api/expiry-policy", json={"kind": "weekly"}), 422, "invalid_expiry_policy",
                 'kind: "weekly" is not one of never, days, end_of_month, end_of_year')  # fmt: skip
    assert_error(put("/api/expiry-policy", json={"kind": "days", "days": -3}), 422, "invalid_expiry_policy",
                 "days: -3 must be a whole number from 1 to 36500")  # fmt: skip
    set_ = put("/api/expiry-policy", json={"kind": "end_of_year", "years": 2}).json()
    assert (
        set_["description"] == "points expire at the end of the 2nd year after the year they were earned in"
    )
    assert_error(running.admin.get("/api/members/999999/expiring"), 404, "unknown_member")


REFUNDABLE = """{
  "clientEventId": id,
  "profile": {"kind": "default", "value": email},
  "reverses": refund,
  "payload": {"timestamp": at, "tags": [{"name": "type", "value": refund ? "refund" : "order"}]}
}"""


def test_a_refund_event_after_expiry_keeps_the_ledger_whole(running: Server) -> None:
    running.admin.put("/api/expiry-policy", json={"kind": "days", "days": 10})
    connector = create_connector(running.admin, mapping=REFUNDABLE)
    rule = {
        "name": "Order",
        "status": "active",
        "source": {"connector": connector["id"]},
        "reward": {"fixed": 50},
        "conditions": {"all": [{"tag": "type", "op": "eq", "value": "order"}]},
    }
    assert running.admin.post("/api/rules", json=rule).status_code == 201
    email = unique_email()
    order = send(running.client, connector, {"id": "ord-1", "email": email, "at": OCTOBER}).json()["results"][
        0
    ]
    member_id = order["profile"]["id"]
    assert _run(running)["points"] == 50  # October's points are gone
    refund = {"id": "ref-1", "email": email, "at": "2026-10-22T10:00:00Z", "refund": "ord-1"}
    refunded = send(running.client, connector, refund).json()["results"][0]
    assert refunded["status"] == "processed", refunded
    # The refund takes back the award even though it had expired: the member owes it (a debt the
    # next points pay), and balances, entries and lots all agree (the fixture's ledger check).
    assert _member(running, member_id)["balance"] == -50
    expiring = running.admin.get(f"/api/members/{member_id}/expiring").json()
    assert expiring["debt"] == 50 and expiring["dueNow"] == []
    assert _run(running)["points"] == 0


def test_the_ledger_check_finds_an_expiry_that_took_more_than_had_expired(fresh_url: str) -> None:  # noqa: F811
    """The lots check can fail: a second expiry entry for the same points (and its balance move,
    so the balances still add up) is reported under `lots`."""
    settings = load_settings(
        environ={},
        database_url=fresh_url,
        admin_token=ADMIN_TOKEN,
        port=free_port(),
        rate_limit_refused="off",
        expiry_interval_seconds=0,
        **NO_DATE_BOUNDS,
    )
    with serve(settings) as server:
        server.admin.put("/api/expiry-policy", json={"kind": "days", "days": 10})
        _connector, member_id = _earn(server, 30)
        assert _run(server)["points"] == 30
        expired = next(e for e in _ledger(server, member_id) if e["kind"] == "expiry")

        async def expire_again() -> None:
            db = Database(fresh_url)
            try:
                async with db.write() as conn:
                    at = datetime.fromisoformat(expired["occurredAt"].replace("Z", "+00:00"))
                    row = {"profile_id": member_id, "points": -30, "kind": "expiry", "test": False,
                           "reason": "twice", "occurred_at": at, "created_at": datetime.now(UTC)}  # fmt: skip
                    await add_entry_raw(ConnTransaction(conn), row)
            finally:
                await db.dispose()

        asyncio.run(expire_again())
        check = server.admin.get("/api/ledger/check").json()
        assert check["ok"] is False
        [problem] = check["mismatches"]
        assert (
            problem["profileId"] == member_id
            and "took 30 points but only 0 had expired" in problem["lots"][0]
        )
