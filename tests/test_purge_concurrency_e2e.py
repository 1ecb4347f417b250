"""Purges during ingestion, and refunds across members, under real concurrent HTTP requests.

On PostgreSQL these deadlocked (DeadlockDetectedError, answered 500) before the lock order was
made deterministic; on SQLite they prove the same outcome with its single writer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from tests.conftest import Server
from tests.helpers import create_connector, send, token_of, unique_email
from tests.test_test_live_isolation_e2e import REFUND_MAPPING, add_rule, profile


def _run(workers: list[Callable[[httpx.Client], None]], base_url: str) -> list[BaseException]:
    """Run each worker in its own thread with its own client; collect what they raised."""
    errors: list[BaseException] = []

    def wrap(work: Callable[[httpx.Client], None]) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            try:
                work(client)
            except BaseException as exc:  # reported by the test
                errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_purging_while_test_and_live_events_arrive(server: Server) -> None:
    connector = create_connector(server.admin, testSecret=True)
    other = create_connector(server.admin, mode="test")  # a second test connector on the same members
    add_rule(server, connector, name="Ten", reward={"fixed": 10})
    add_rule(server, other, name="Three", reward={"fixed": 3})
    members = [unique_email(f"busy{n}") for n in range(6)]
    test_token = token_of(connector, test=True)
    statuses: list[int] = []
    live_sent: dict[str, int] = {m: 0 for m in members}
    stop = threading.Event()
    lock = threading.Lock()

    def record(response: httpx.Response) -> None:
        with lock:
            statuses.append(response.status_code)

    def tester(n: int) -> Callable[[httpx.Client], None]:
        def work(client: httpx.Client) -> None:
            i = 0
            while not stop.is_set():
                batch = [
                    {"id": f"t{n}-{i}-{k}", "email": members[(n + i + k) % len(members)]} for k in range(4)
                ]
                target, token = (other, None) if i % 3 == 2 else (connector, test_token)
                record(send(client, target, batch, token=token))
                i += 1

        return work

    def live(client: httpx.Client) -> None:
        i = 0
        while not stop.is_set():
            email = members[i % len(members)]
            response = send(client, connector, {"id": f"live-{i}", "email": email})
            record(response)
            if response.status_code == 200 and response.json()["results"][0]["status"] == "processed":
                live_sent[email] += 1
            i += 1
            time.sleep(0.01)

    def purger(client: httpx.Client) -> None:
        headers = dict(server.admin.headers)
        for _ in range(12):
            for target in (connector, other):
                record(client.post(f"/api/connectors/{target['id']}/purge-test-data", headers=headers))
            time.sleep(0.15)
        stop.set()

    errors = _run([tester(n) for n in range(4)] + [live, purger], server.url)
    stop.set()
    assert not errors, errors
    assert statuses and all(s < 500 for s in statuses), sorted(set(statuses))
    check = server.admin.get("/api/ledger/check").json()
    assert check["ok"] is True, check
    # After a last purge: no test points anywhere, and every live event's points are there.
    for target in (connector, other):
        assert server.admin.post(f"/api/connectors/{target['id']}/purge-test-data").status_code == 200
    for email in members:
        if live_sent[email]:
            member = profile(server, email)  # a profile a live event reached is never purged
            assert (member["balance"], member["testBalance"]) == (10 * live_sent[email], 0), email
        else:
            assert server.admin.get("/api/profiles", params={"value": email}).status_code == 404
    for target in (connector, other):
        left = server.admin.get("/api/events", params={"connector": target["id"], "test": "true"}).json()
        assert left["items"] == []


def test_refunds_across_two_members_in_both_directions_at_once(server: Server) -> None:
    connector = create_connector(server.admin, mapping=REFUND_MAPPING)
    add_rule(
        server,
        connector,
        name="Order",
        conditions={"tag": "type", "op": "eq", "value": "order"},
        reward={"fixed": 100},
    )
    add_rule(
        server,
        connector,
        name="Refund",
        conditions={"tag": "type", "op": "eq", "value": "refund"},
        reward={"fixed": 1},
    )
    pairs = [(unique_email("x"), unique_email("y")) for _ in range(4)]
    for x, y in pairs:
        for email in (x, y):
            send(server.client, connector, {"id": f"ord-{email}", "email": email, "tags": {"type": "order"}})
    rounds, statuses = 10, []
    barrier = threading.Barrier(2 * len(pairs))
    lock = threading.Lock()

    def refunder(me: str, them: str) -> Callable[[httpx.Client], None]:
        def work(client: httpx.Client) -> None:
            for n in range(rounds):
                barrier.wait(timeout=60)
                body = {
                    "id": f"rf-{me}-{n}",
                    "email": me,  # the refund is booked on me, it reverses their order
                    "reverses": f"ord-{them}",
                    "fraction": 0.1,
                    "tags": {"type": "refund"},
                }
                response = send(client, connector, body)
                with lock:
                    statuses.append(response.status_code)

        return work

    workers = [refunder(x, y) for x, y in pairs] + [refunder(y, x) for x, y in pairs]
    errors = _run(workers, server.url)
    assert not errors, errors
    assert len(statuses) == rounds * len(workers) and set(statuses) == {200}, sorted(set(statuses))
    for x, y in pairs:
        for email in (x, y):
            # 100 for the order, all of it taken back by ten tenths, 1 for each of its own refunds.
            assert profile(server, email)["balance"] == 100 - 100 + rounds, email
    check = server.admin.get("/api/ledger/check").json()
    assert check["ok"] is True, check
