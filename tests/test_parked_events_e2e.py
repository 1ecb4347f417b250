"""Parked events, over real HTTP on both databases: an event for someone who is not a member yet,
sent to a connector that credits members only, waits and is processed when they register, as of
when it happened, exactly once, also when releases run at the same time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Server
from tests.helpers import create_connector, send, unique_email


def members_only(server: Server, points: int) -> dict[str, Any]:
    connector = create_connector(server.admin, createProfiles=False)
    rule = {
        "name": f"{points} a purchase",
        "status": "active",
        "source": {"connector": connector["id"]},
        "reward": {"fixed": points},
    }
    assert server.admin.post("/api/rules", json=rule).status_code == 201
    return connector


def parked_here(server: Server, connector: dict[str, Any]) -> list[Any]:
    params = {"status": "parked", "connector": connector["id"]}
    items: list[Any] = server.admin.get("/api/events", params=params).json()["items"]
    return items


def test_an_event_waits_for_its_member_and_counts_once(server: Server) -> None:
    connector = members_only(server, 6)
    email = unique_email("later")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    parked = send(server.client, connector, {"id": "p1", "email": email, "at": yesterday}).json()["results"][
        0
    ]
    assert parked["status"] == "parked" and "parked" in parked["reason"]
    assert parked_here(server, connector)
    # Nothing of ours to release yet: nobody has that identity. (The release is for every
    # connector: another test's event may go, whose member exists by now.)
    server.admin.post("/api/parked/release")
    assert parked_here(server, connector)
    member = server.admin.post("/api/members", json={"identities": [{"value": email}]}).json()
    assert member["released"] == 1
    ledger = server.admin.get(f"/api/profiles/{member['id']}/ledger").json()["items"]
    purchase = [e for e in ledger if e["connectorId"] == connector["id"]]
    assert [e["points"] for e in purchase] == [6]
    assert purchase[0]["occurredAt"].startswith(yesterday[:10])  # judged as of when it happened
    # Released once: again, nothing of ours moves.
    server.admin.post("/api/parked/release")
    again = server.admin.get(f"/api/profiles/{member['id']}/ledger").json()["items"]
    assert len(again) == len(ledger)


def test_a_parked_event_is_released_once_when_releases_race(server: Server) -> None:
    connector = members_only(server, 3)
    email = unique_email("race")
    for i in range(4):
        assert send(server.client, connector, {"id": f"r{i}", "email": email}).json()["results"][0][
            "status"
        ] == ("parked")
    # The identity is added to a member while releases run in parallel: the request's own
    # release and theirs race for the same four events.
    member = server.admin.post("/api/members", json={"identities": [{"value": unique_email("first")}]}).json()
    answers: list[int] = []
    start = threading.Barrier(5)

    def release() -> None:
        start.wait()
        for _ in range(5):
            answers.append(server.admin.post("/api/parked/release").status_code)

    threads = [threading.Thread(target=release) for _ in range(4)]
    for t in threads:
        t.start()
    start.wait()
    added = server.admin.post(f"/api/members/{member['id']}/identities", json={"value": email})
    for t in threads:
        t.join()
    assert added.status_code == 201 and answers == [200] * 20
    ledger = server.admin.get(f"/api/profiles/{member['id']}/ledger").json()["items"]
    assert sorted(e["points"] for e in ledger if e["connectorId"] == connector["id"]) == [3, 3, 3, 3]
    assert server.admin.get("/api/ledger/check").json()["ok"] is True
