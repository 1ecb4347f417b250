"""Replay end to end over real HTTP, on SQLite and PostgreSQL: preview, apply, exactly once."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, unique_email
from tests.test_rules_e2e import add_rule, assert_ledger_consistent, balance, purchase

# Reads the display text ("12,50 €") instead of the amount: $number fails, the event is "failed".
BROKEN = """{
  "clientEventId": id,
  "profile": {"value": email},
  "payload": {"counters": [{"name": "amount", "value": $number(display)}]}
}"""
FIXED = BROKEN.replace("$number(display)", "$number(amount)")


def order(email: str, event_id: str, amount: str, display: str) -> dict[str, Any]:
    return {"id": event_id, "email": email, "amount": amount, "display": display}


def replay(server: Server, connector: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = server.admin.post(f"/api/connectors/{connector['id']}/replay", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def events_of(server: Server, connector: dict[str, Any]) -> list[dict[str, Any]]:
    response = server.admin.get("/api/events", params={"connector": connector["id"], "limit": 500})
    return list(response.json()["items"])


def ledger_of(server: Server, email: str) -> list[dict[str, Any]]:
    profile_id = server.admin.get("/api/profiles", params={"value": email}).json()["id"]
    return list(server.admin.get(f"/api/profiles/{profile_id}/ledger").json()["items"])


def per_unit_rule(server: Server, connector: dict[str, Any]) -> dict[str, Any]:
    reward = {"points_per_unit": {"counter": "amount", "per": 1, "points": 1, "rounding": "floor"}}
    return add_rule(server, connector, name="1 point per euro", reward=reward)


def test_replay_fixes_a_broken_mapping_and_awards_exactly_the_missing_points(server: Server) -> None:
    connector = create_connector(server.admin, mapping=BROKEN)
    per_unit_rule(server, connector)
    ann, bob = unique_email("ann"), unique_email("bob")
    first = send(server.client, connector, order(ann, "o1", "20", "20"))
    assert first.json()["results"][0]["awards"][0]["points"] == 20
    batch = [order(ann, "o2", "12.5", "12,50 €"), order(bob, "o3", "7.9", "7,90 €")]
    assert [r["status"] for r in send(server.client, connector, batch).json()["results"]] == ["failed"] * 2
    assert balance(server, ann) == 20
    fixed = server.admin.patch(f"/api/connectors/{connector['id']}", json={"mapping": FIXED})
    assert fixed.status_code == 200 and fixed.json()["mappingVersion"] == 2

    applied = replay(server, connector, statuses=["failed"], apply=True)
    assert applied["applied"] is True and applied["counts"]["rawEvents"] == 2
    assert {(c["value"], c["delta"], c["pointsBefore"], c["pointsAfter"]) for c in applied["changes"]} == {
        (ann, 12, 20, 32),
        (bob, 7, 0, 7),
    }
    assert applied["pointsDelta"] == 19 and isinstance(applied["adminLogId"], int)
    assert balance(server, ann) == 32 and balance(server, bob) == 7
    result = applied["results"][0]
    assert result["previousStatus"] == "failed" and result["status"] == "processed"
    assert [e["kind"] for e in result["entries"]] == ["award"]

    # The replay is an event of its own, linked to the original, mapped by the new version.
    replayed = server.admin.get(f"/api/events/{result['eventId']}").json()
    original = server.admin.get(f"/api/events/{result['originalEventId']}").json()
    assert replayed["replayOf"] == original["id"] and original["replayOf"] is None
    assert replayed["mappingVersion"] == 2 and original["mappingVersion"] == 1
    assert replayed["requestId"] == original["requestId"] and replayed["index"] == original["index"]
    assert replayed["occurredAt"] == original["receivedAt"]  # no timestamp: when it arrived, not now
    assert original["status"] == "failed"  # events are immutable; the replay counterbalances

    # Nothing is failed any more, and replaying everything again changes nothing.
    assert replay(server, connector, statuses=["failed"], apply=True)["events"] == 0
    count = len(events_of(server, connector))
    again = replay(server, connector, apply=True)
    assert again["counts"]["events"] == 3 and again["counts"]["unchanged"] == 3
    assert again["changes"] == [] and again["pointsDelta"] == 0
    assert len(events_of(server, connector)) == count
    assert balance(server, ann) == 32 and balance(server, bob) == 7
    # A repeat sent by the shop after the fix is still a duplicate of the replayed event.
    repeat = send(server.client, connector, order(ann, "o2", "12.5", "12,50 €")).json()["results"][0]
    assert repeat["status"] == "duplicate" and repeat["first"]["eventId"] == result["eventId"]
    assert balance(server, ann) == 32
    assert_ledger_consistent(server)


def test_preview_shows_the_change_and_writes_nothing(server: Server) -> None:
    connector = create_connector(server.admin, mapping=BROKEN)
    per_unit_rule(server, connector)
    ann, newcomer = unique_email("ann"), unique_email("new")
    send(server.client, connector, order(ann, "p1", "10", "10"))
    send(server.client, connector, [order(ann, "p2", "5", "5,00 €"), order(newcomer, "p3", "3", "3,00 €")])
    server.admin.patch(f"/api/connectors/{connector['id']}", json={"mapping": FIXED})
    before_events = events_of(server, connector)
    before_ledger = ledger_of(server, ann)

    preview = replay(server, connector, statuses=["failed"])
    assert preview["applied"] is False and preview["events"] == 2
    changes = {c["value"]: c for c in preview["changes"]}
    assert (changes[ann]["pointsBefore"], changes[ann]["pointsAfter"], changes[ann]["delta"]) == (10, 15, 5)
    assert changes[newcomer]["newProfile"] is True and changes[newcomer]["delta"] == 3
    assert "adminLogId" not in preview

    assert events_of(server, connector) == before_events
    assert ledger_of(server, ann) == before_ledger
    assert server.admin.get("/api/profiles", params={"value": newcomer}).status_code == 404
    # What the preview showed is what applying does.
    applied = replay(server, connector, statuses=["failed"], apply=True)
    assert applied["changes"][0]["delta"] == 5 and applied["pointsDelta"] == preview["pointsDelta"]
    assert balance(server, ann) == 15 and balance(server, newcomer) == 3
    assert_ledger_consistent(server)


def test_rule_changes_are_corrected_up_and_down_exactly_once(server: Server) -> None:
    connector = create_connector(server.admin)
    rule = add_rule(server, connector, name="Each order", reward={"fixed": 10})
    ann, bob = unique_email("ann"), unique_email("bob")
    send(server.client, connector, [purchase(ann, "r1", 1), purchase(bob, "r2", 1)])
    assert balance(server, ann) == 10 and balance(server, bob) == 10

    server.admin.patch(f"/api/rules/{rule['id']}", json={"reward": {"fixed": 15}})
    up = replay(server, connector, apply=True)
    assert sorted(c["delta"] for c in up["changes"]) == [5, 5]
    entries = [e for r in up["results"] for e in r["entries"]]
    assert {(e["kind"], e["points"]) for e in entries} == {("correction", 5)}
    assert balance(server, ann) == 15 and balance(server, bob) == 15
    assert replay(server, connector, apply=True)["pointsDelta"] == 0  # twice is once

    server.admin.patch(f"/api/rules/{rule['id']}", json={"reward": {"fixed": 10}})
    down = replay(server, connector, apply=True)
    assert sorted(c["delta"] for c in down["changes"]) == [-5, -5]
    assert balance(server, ann) == 10 and balance(server, bob) == 10
    kinds = sorted((e["kind"], e["points"]) for e in ledger_of(server, ann))
    assert kinds == [("award", 10), ("correction", -5), ("correction", 5)]
    assert all(e["ruleVersion"] for e in ledger_of(server, ann))
    assert_ledger_consistent(server)


def test_a_daily_limit_is_not_used_up_by_the_replayed_event_itself(server: Server) -> None:
    connector = create_connector(server.admin)
    rule = add_rule(
        server,
        connector,
        name="Daily visit",
        reward={"fixed": 10},
        limits=[{"scope": "profile", "period": "day", "max_times": 1}],
    )
    ann = unique_email("ann")
    send(server.client, connector, purchase(ann, "d1", 1, at="2026-11-20T08:00:00Z"))
    second = send(server.client, connector, purchase(ann, "d2", 1, at="2026-11-20T20:00:00Z"))
    assert second.json()["results"][0]["awards"] == []
    server.admin.patch(f"/api/rules/{rule['id']}", json={"reward": {"fixed": 15}})

    applied = replay(server, connector, apply=True)
    by_id = {r["originalEventId"]: r for r in applied["results"]}
    first_result = next(r for r in applied["results"] if r["entries"])
    assert [(e["kind"], e["points"]) for e in first_result["entries"]] == [("correction", 5)]
    # The second event of the day is still over the limit: the first one counts against it.
    assert by_id[second.json()["results"][0]["eventId"]]["unchanged"] is True
    assert balance(server, ann) == 15
    # And the limit still holds for new events of that day.
    third = send(server.client, connector, purchase(ann, "d3", 1, at="2026-11-20T21:00:00Z"))
    assert third.json()["results"][0]["awards"] == []
    assert balance(server, ann) == 15
    assert_ledger_consistent(server)


def test_failed_events_of_one_day_share_the_daily_limit_on_replay(server: Server) -> None:
    broken = """{
      "clientEventId": id,
      "profile": {"value": email},
      "payload": {"timestamp": at, "counters": [{"name": "amount", "value": $number(display)}]}
    }"""
    connector = create_connector(server.admin, mapping=broken)
    add_rule(
        server,
        connector,
        name="Daily visit",
        reward={"fixed": 10},
        limits=[{"scope": "profile", "period": "day", "max_times": 1}],
    )
    ann = unique_email("ann")
    bodies = [{**order(ann, f"f{i}", "1", "1,00 €"), "at": f"2026-11-2{i}T10:00:00Z"} for i in (1, 1, 2)]
    bodies[1]["id"] = "f1b"
    send(server.client, connector, bodies)
    server.admin.patch(
        f"/api/connectors/{connector['id']}", json={"mapping": broken.replace("display", "amount")}
    )
    applied = replay(server, connector, statuses=["failed"], apply=True)
    assert [sum(e["points"] for e in r["entries"]) for r in applied["results"]] == [10, 0, 10]
    assert balance(server, ann) == 20
    replayed = server.admin.get(f"/api/events/{applied['results'][0]['eventId']}").json()
    assert replayed["occurredAt"] == "2026-11-21T10:00:00Z"
    assert_ledger_consistent(server)


def test_a_range_and_a_status_choose_what_is_replayed(server: Server) -> None:
    connector = create_connector(server.admin, mapping=BROKEN)
    per_unit_rule(server, connector)
    ann = unique_email("ann")
    send(server.client, connector, order(ann, "s1", "4", "4,00 €"))
    cut = send(server.client, connector, order(ann, "s2", "6", "6,00 €")).json()["results"][0]
    since = server.admin.get(f"/api/events/{cut['eventId']}").json()["receivedAt"]
    server.admin.patch(f"/api/connectors/{connector['id']}", json={"mapping": FIXED})
    assert replay(server, connector, statuses=["rejected", "ignored"])["events"] == 0
    later = replay(server, connector, since=since, apply=True)
    assert later["events"] == 1 and balance(server, ann) == 6
    before = replay(server, connector, until=since, limit=1, apply=True)
    assert before["events"] == 1 and balance(server, ann) == 10
    assert_ledger_consistent(server)


def test_a_failed_raw_event_may_fan_out_into_several_events(server: Server) -> None:
    connector = create_connector(server.admin, mapping=BROKEN)
    add_rule(server, connector, name="Each line", reward={"fixed": 10})
    ann = unique_email("ann")
    raw = {**order(ann, "f1", "3", "3,00 €"), "items": [{"sku": "a"}, {"sku": "b"}]}
    assert send(server.client, connector, raw).json()["results"][0]["status"] == "failed"
    lines = """items.{"clientEventId": $$.id & "-" & sku, "profile": {"value": $$.email}, "payload": {}}"""
    server.admin.patch(f"/api/connectors/{connector['id']}", json={"mapping": lines})
    applied = replay(server, connector, apply=True)
    first, second = applied["results"]
    assert (first["subIndex"], second["subIndex"]) == (0, 1)
    assert first["originalEventId"] == first["replayOf"]
    assert second["originalEventId"] is None and second["replayOf"] == first["replayOf"]
    assert balance(server, ann) == 20
    again = replay(server, connector, apply=True)
    assert again["counts"]["unchanged"] == 2 and balance(server, ann) == 20
    assert_ledger_consistent(server)


def test_an_event_that_now_belongs_to_another_profile_moves_its_points(server: Server) -> None:
    billing = """{"clientEventId": id, "profile": {"value": billing}, "payload": {}}"""
    connector = create_connector(server.admin, mapping=billing)
    add_rule(server, connector, name="Each order", reward={"fixed": 10})
    ann, bob = unique_email("ann"), unique_email("bob")
    send(server.client, connector, {"id": "m1", "billing": ann, "buyer": bob})
    assert balance(server, ann) == 10
    buyer = billing.replace("billing", "buyer")
    server.admin.patch(f"/api/connectors/{connector['id']}", json={"mapping": buyer})
    moved = replay(server, connector, apply=True)
    assert {c["value"]: c["delta"] for c in moved["changes"]} == {ann: -10, bob: 10}
    assert balance(server, ann) == 0 and balance(server, bob) == 10
    result = moved["results"][0]
    assert result["profileId"] == server.admin.get("/api/profiles", params={"value": bob}).json()["id"]
    bob_entry = next(e for e in result["entries"] if e["points"] == 10)
    assert bob_entry["eventId"] == result["eventId"] and bob_entry["kind"] == "award"
    assert replay(server, connector, apply=True)["pointsDelta"] == 0
    # Back to billing: ann earns again (an award), bob's points are taken back.
    server.admin.patch(f"/api/connectors/{connector['id']}", json={"mapping": billing})
    back = replay(server, connector, apply=True)
    assert {c["value"]: c["delta"] for c in back["changes"]} == {ann: 10, bob: -10}
    assert balance(server, ann) == 10 and balance(server, bob) == 0
    assert_ledger_consistent(server)


def test_an_event_that_becomes_a_repeat_gives_its_points_back_and_can_earn_them_again(server: Server) -> None:
    by_line = """{"clientEventId": id, "profile": {"value": email}, "payload": {}}"""
    connector = create_connector(server.admin, mapping=by_line)
    add_rule(server, connector, name="Each order", reward={"fixed": 10})
    ann = unique_email("ann")
    send(
        server.client,
        connector,
        [{"id": "l1", "order": "o1", "email": ann}, {"id": "l2", "order": "o1", "email": ann}],
    )
    assert balance(server, ann) == 20
    url = f"/api/connectors/{connector['id']}"
    server.admin.patch(url, json={"mapping": by_line.replace("id,", "order,")})
    by_order = replay(server, connector, apply=True)
    assert [r["status"] for r in by_order["results"]] == ["processed", "duplicate"]
    withdrawn = by_order["results"][1]["entries"]
    assert [(e["kind"], e["points"]) for e in withdrawn] == [("correction", -10)]
    assert balance(server, ann) == 10
    server.admin.patch(url, json={"mapping": by_line})
    assert replay(server, connector, apply=True)["pointsDelta"] == 0  # a current duplicate is left alone
    again = replay(server, connector, statuses=["duplicate"], apply=True)
    assert [(e["kind"], e["points"]) for e in again["results"][0]["entries"]] == [("award", 10)]
    assert balance(server, ann) == 20
    assert_ledger_consistent(server)


def test_replays_running_at_the_same_time_correct_once(server: Server) -> None:
    connector = create_connector(server.admin)
    rule = add_rule(server, connector, name="Each order", reward={"fixed": 10})
    ann = unique_email("ann")
    send(server.client, connector, [purchase(ann, f"c{i}", 1) for i in range(5)])
    server.admin.patch(f"/api/rules/{rule['id']}", json={"reward": {"fixed": 12}})
    deltas: list[int] = []

    def one() -> None:
        with httpx.Client(base_url=server.url, headers=server.admin.headers, timeout=60) as admin:
            response = admin.post(f"/api/connectors/{connector['id']}/replay", json={"apply": True})
            assert response.status_code == 200, response.text
            deltas.append(response.json()["pointsDelta"])

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(deltas) == 10 and balance(server, ann) == 60
    assert_ledger_consistent(server)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"statuses": ["failed", "lost"]}, 'statuses[1]: "lost" is not one of'),
        ({"statuses": "failed"}, 'statuses: "failed" must be a non-empty list'),
        ({"statuses": []}, "statuses: [] must be a non-empty list"),
        ({"since": "yesterday"}, 'since: "yesterday" is not an ISO 8601 time'),
        ({"until": 5}, "until: 5 must be an ISO 8601 time"),
        ({"since": "2026-11-21T00:00:00Z", "until": "2026-11-20T00:00:00Z"}, 'until: "2026-11-20T00:00:00Z"'),
        ({"apply": "yes"}, 'apply: "yes" must be true or false'),
        ({"limit": 0}, "limit: 0 must be a whole number from 1 to 10000"),
        ({"statusses": ["failed"]}, "statusses: unknown field"),
        ({"after": "x"}, 'after: "x" must be an event id'),
        ({"after": 10**30}, "after: 1000000000000000000000000000000 must be an event id"),
        ([], "body: expected a JSON object"),
    ],
)
def test_bad_replay_input_is_refused_precisely(server: Server, body: Any, fragment: str) -> None:
    connector = create_connector(server.admin)
    response = server.admin.post(f"/api/connectors/{connector['id']}/replay", json=body)
    assert_error(response, 422, "invalid_replay", fragment)


def test_replay_of_an_unknown_connector_is_a_404(server: Server) -> None:
    assert_error(server.admin.post("/api/connectors/con_nope/replay", json={}), 404, "unknown_connector")
    assert_error(
        server.admin.post("/api/connectors/con_nope/replay", content=b"{"), 400, "malformed_body", "JSON"
    )
