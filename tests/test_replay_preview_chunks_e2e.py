"""A replay preview runs in short transactions of independent raw events: live traffic is not held up,
and the answer is the one a single transaction gives. End to end on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from typing import Any

import pytest

import pipeline.replay
from tests.conftest import Server
from tests.helpers import create_connector, send, unique_email
from tests.test_replay_e2e import BROKEN, FIXED, order, replay
from tests.test_rules_e2e import add_rule, assert_ledger_consistent, balance

DAILY_BROKEN = """{
  "clientEventId": id,
  "profile": {"value": email},
  "payload": {"timestamp": at, "counters": [{"name": "amount", "value": $number(display)}]}
}"""


def comparable(answer: dict[str, Any]) -> dict[str, Any]:
    """A replay answer without the ids of rows a preview rolls back."""
    results = [
        {k: v for k, v in r.items() if k not in ("eventId", "profileId", "entries", "reason")}
        | {"entries": [(e["kind"], e["points"], e["ruleId"]) for e in r["entries"]]}
        # A reason may name a rolled-back event ("already received (event 9)"): its number varies.
        | {"reason": re.sub(r"event \d+", "event N", r["reason"] or "")}
        for r in answer["results"]
    ]
    changes = sorted(
        (c["value"], c["test"], c["newProfile"], c["pointsBefore"], c["pointsAfter"], c["delta"])
        for c in answer["changes"]
    )
    return {
        "counts": answer["counts"],
        "pointsDelta": answer["pointsDelta"],
        "changes": changes,
        "results": results,
    }


def test_a_chunked_preview_answers_as_one_transaction_and_as_applying(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector = create_connector(server.admin, mapping=DAILY_BROKEN)
    add_rule(
        server,
        connector,
        name="Daily",
        reward={"fixed": 10},
        limits=[{"scope": "profile", "period": "day", "max_times": 1}],
    )
    ann, newcomer, other = unique_email("ann"), unique_email("new"), unique_email("other")
    send(server.client, connector, {**order(ann, "c0", "1", "1"), "at": "2026-11-20T08:00:00Z"})

    def failing(email: str, event_id: str, at: str) -> dict[str, Any]:
        return {**order(email, event_id, "1", "1,00 €"), "at": at}

    # Raw events that interact (one day's limit, one new profile twice, a repeated clientEventId)
    # and others that do not, interleaved, one request each.
    for body in (
        failing(ann, "c1", "2026-11-20T09:00:00Z"),
        failing(other, "x1", "2026-11-20T09:00:00Z"),
        failing(newcomer, "n1", "2026-11-21T09:00:00Z"),
        failing(ann, "c2", "2026-11-21T09:00:00Z"),
        failing(newcomer, "n2", "2026-11-21T10:00:00Z"),
        failing(other, "x1", "2026-11-22T09:00:00Z"),
        failing(ann, "c3", "2026-11-21T11:00:00Z"),
    ):
        send(server.client, connector, body)
    server.admin.patch(
        f"/api/connectors/{connector['id']}", json={"mapping": DAILY_BROKEN.replace("display", "amount")}
    )
    monkeypatch.setattr(pipeline.replay, "PREVIEW_CHUNK", 10_000)
    whole = replay(server, connector, statuses=["failed"])
    monkeypatch.setattr(pipeline.replay, "PREVIEW_CHUNK", 1)
    chunked = replay(server, connector, statuses=["failed"])
    assert comparable(chunked) == comparable(whole)
    assert {c[0]: c[5] for c in comparable(chunked)["changes"]} == {ann: 10, newcomer: 10, other: 10}
    # Rolled back rows have no ids.
    assert all(r["eventId"] is None for r in chunked["results"])
    assert all(e["entryId"] is None for r in chunked["results"] for e in r["entries"])
    assert next(c for c in chunked["changes"] if c["value"] == newcomer)["profileId"] is None
    applied = replay(server, connector, statuses=["failed"], apply=True)
    assert comparable({**applied, "results": applied["results"]})["changes"] == comparable(chunked)["changes"]
    assert balance(server, ann) == 20 and balance(server, newcomer) == 10 and balance(server, other) == 10
    assert_ledger_consistent(server)


def test_live_requests_go_through_while_a_long_preview_runs(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector = create_connector(server.admin, mapping=BROKEN)
    add_rule(server, connector, name="Each order", reward={"fixed": 1})
    ann = unique_email("ann")
    send(server.client, connector, order(ann, "l0", "1", "1"))  # ann exists: a preview locks her row
    send(server.client, connector, order(ann, "l1", "2", "2,00 €"))
    send(server.client, connector, [order(unique_email(), f"l{i}", "2", "2,00 €") for i in range(2, 9)])
    server.admin.patch(f"/api/connectors/{connector['id']}", json={"mapping": FIXED})

    slow_replay = pipeline.replay._replay_raw

    async def slowly(*args: Any) -> None:
        await slow_replay(*args)
        await asyncio.sleep(0.25)  # a slow raw event, inside the preview's transaction

    monkeypatch.setattr(pipeline.replay, "PREVIEW_CHUNK", 1)
    monkeypatch.setattr(pipeline.replay, "_replay_raw", slowly)
    answers: list[dict[str, Any]] = []
    preview = threading.Thread(target=lambda: answers.append(replay(server, connector, statuses=["failed"])))
    started = time.monotonic()
    preview.start()
    time.sleep(0.6)
    response = send(server.client, connector, order(ann, "live", "1", "1"))
    waited = time.monotonic() - started
    preview.join()
    total = time.monotonic() - started
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "processed"
    assert answers[0]["counts"]["rawEvents"] == 8 and total >= 8 * 0.25
    assert waited < total - 0.5, (waited, total)  # answered while the preview still ran
    assert balance(server, ann) == 2
