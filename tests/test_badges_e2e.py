"""Badges and a rule's reactions end to end, on SQLite and PostgreSQL: rules that grant badges (once,
or again and again), by hand, the intrinsic EARNED_BADGE event rules listen to (and how deep it
may go), a rule's webhook reaction, and the badge.earned message. A database per test: rules
that listen to EARNED_BADGE would react to every other test's badges."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Server, free_port
from tests.helpers import assert_error, create_connector, send, token_of, unique_email
from tests.test_webhooks_e2e import _server, fresh_url  # noqa: F401 - the fixture
from tests.webhook_receiver import receiving

AT = "2026-12-01T10:00:00Z"


@pytest.fixture
def running(fresh_url: str) -> Iterator[Server]:  # noqa: F811
    with _server(fresh_url) as server:
        yield server


def _badge(server: Server, name: str, **body: Any) -> dict[str, Any]:
    answer = server.admin.post("/api/badges", json={"name": name, **body})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _rule(server: Server, **body: Any) -> dict[str, Any]:
    answer = server.admin.post("/api/rules", json={"status": "active", **body})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _member_badges(server: Server, member_id: int) -> list[dict[str, Any]]:
    answer = server.admin.get(f"/api/members/{member_id}/badges")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def _balance(server: Server, member_id: int) -> int:
    return int(server.admin.get(f"/api/members/{member_id}").json()["balance"])


def _eventually(check: Any, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_a_rule_grants_a_badge_once_and_earned_badge_follows(running: Server) -> None:
    early = _badge(
        running, "Early bird", description="First order before 9", imageUrl="https://cdn.test/eb.png"
    )
    connector = create_connector(running.admin)
    _rule(running, name="Order", source={"connector": connector["id"]}, reward={"fixed": 10},
          reactions=[{"badge": early["id"]}])  # fmt: skip
    _rule(running, name="Badge bonus", source={"event_type": "EARNED_BADGE"}, reward={"fixed": 5},
          conditions={"all": [{"tag": "badge", "op": "eq", "value": early["id"]}]})  # fmt: skip
    email = unique_email()
    first = send(running.client, connector, {"id": "o-1", "email": email, "at": AT}).json()["results"][0]
    award = first["awards"][0]
    assert award["points"] == 10
    [done] = award["reactions"]
    assert done["granted"] is True and done["badge"] == early["id"] and done["name"] == "Early bird"
    member_id = first["profile"]["id"]
    second = send(running.client, connector, {"id": "o-2", "email": email, "at": AT}).json()["results"][0]
    [again] = second["awards"][0]["reactions"]
    assert again["granted"] is False and "already has this badge" in again["reason"]
    assert second["awards"][0]["points"] == 10  # the rule still awards its points

    [owned] = _member_badges(running, member_id)
    assert (
        owned["badge"] == early["id"] and owned["source"] == "rule" and owned["eventId"] == first["eventId"]
    )
    assert owned["imageUrl"] == "https://cdn.test/eb.png"
    # EARNED_BADGE was reported once (for the one grant), and its rule gave 5 more.
    assert _eventually(lambda: _balance(running, member_id) == 25), _balance(running, member_id)
    reported = running.admin.get("/api/events", params={"connector": "type:EARNED_BADGE"}).json()["items"]
    assert len(reported) == 1 and reported[0]["status"] == "processed"
    trace = running.admin.get(f"/api/events/{first['eventId']}").json()["trace"]
    rules_step = next(s for s in trace if s["step"] == "rules")
    assert rules_step["rules"][0]["reactions"] == [{"badge": early["id"]}]
    ledger_step = next(s for s in trace if s["step"] == "ledger")
    assert ledger_step["awards"][0]["reactions"][0]["granted"] is True


def test_a_rule_that_only_reacts_counts_towards_its_limits(running: Server) -> None:
    regular = _badge(running, "Regular", repeatable=True)
    connector = create_connector(running.admin)
    _rule(running, name="Visit", source={"connector": connector["id"]}, reactions=[{"badge": regular["id"]}],
          limits=[{"scope": "profile", "period": "day", "max_times": 2}])  # fmt: skip
    email = unique_email()
    results = [
        send(running.client, connector, {"id": f"v-{i}", "email": email, "at": AT}).json()["results"][0]
        for i in range(3)
    ]
    assert [r["awards"][0]["points"] for r in results[:2]] == [0, 0]
    assert all(r["awards"][0]["reactions"][0]["granted"] for r in results[:2])
    assert results[2]["awards"] == []  # the day's two times are used
    assert len(_member_badges(running, results[0]["profile"]["id"])) == 2
    assert _balance(running, results[0]["profile"]["id"]) == 0


def test_granting_by_hand_and_mistakes(running: Server) -> None:
    once = _badge(running, "Quiz winner")
    again = _badge(running, "Helper", repeatable=True)
    member = running.admin.post(
        "/api/members", json={"identities": [{"kind": "email", "value": unique_email()}]}
    )
    member_id = member.json()["id"]
    granted = running.admin.post(
        f"/api/members/{member_id}/badges", json={"badge": once["id"], "note": "won"}
    )
    assert granted.status_code == 201, granted.text
    assert granted.json()["source"] == "manual" and granted.json()["note"] == "won"
    assert_error(
        running.admin.post(f"/api/members/{member_id}/badges", json={"badge": once["id"]}),
        409, "badge_already_earned", "already has badge 'Quiz winner'",
    )  # fmt: skip
    for _ in range(2):
        assert (
            running.admin.post(f"/api/members/{member_id}/badges", json={"badge": again["id"]}).status_code
            == 201
        )
    assert len(_member_badges(running, member_id)) == 3

    post = running.admin.post
    assert_error(post("/api/badges", json={"name": "Quiz winner"}), 409, "badge_name_taken", "'Quiz winner'")
    assert_error(post("/api/badges", json={}), 422, "invalid_badge", "name: is required")
    assert_error(post("/api/badges", json={"name": "x", "repeatable": "yes"}), 422, "invalid_badge",
                 'repeatable: "yes" must be true or false')  # fmt: skip
    assert_error(
        post("/api/badges", json={"name": "x", "imageUrl": "ftp://x"}), 422, "invalid_badge", "imageUrl"
    )
    assert_error(post(f"/api/members/{member_id}/badges", json={"badge": "bdg_nope"}), 422, "invalid_badge",
                 '"bdg_nope" is not a badge')  # fmt: skip
    assert_error(post("/api/members/999999/badges", json={"badge": once["id"]}), 404, "unknown_member")
    # NUL reaches no database (PostgreSQL text cannot hold it): a 422, never a 500.
    assert_error(post(f"/api/members/{member_id}/badges", json={"badge": "b\u0000"}), 422, "invalid_badge")
    assert_error(
        post("/api/rules", json={"name": "r", "reactions": [{"badge": "b\u0000"}]}),
        422,
        "invalid_rule",
        "reactions[0].badge",
    )
    assert_error(running.admin.get("/api/badges/bdg_nope"), 404, "unknown_badge")
    assert_error(
        post("/api/rules", json={"name": "r", "reactions": [{"badge": "bdg_nope"}]}),
        422, "invalid_rule", 'reactions[0].badge: "bdg_nope" is not a badge',
    )  # fmt: skip
    assert_error(
        post("/api/rules", json={"name": "r", "reactions": [{"medal": "x"}]}),
        422, "invalid_rule", "reactions[0]: needs exactly one of badge, reward, webhook",
    )  # fmt: skip
    assert_error(post("/api/rules", json={"name": "r"}), 422, "invalid_rule", "reward: is required")
    archived = running.admin.patch(f"/api/badges/{again['id']}", json={"status": "archived"})
    assert archived.json()["status"] == "archived"
    assert_error(post(f"/api/members/{member_id}/badges", json={"badge": again["id"]}), 409, "badge_archived")


def test_earned_badge_chains_stop_at_a_depth(running: Server) -> None:
    star = _badge(running, "Star", repeatable=True)
    connector = create_connector(running.admin)
    _rule(running, name="Start", source={"connector": connector["id"]}, reactions=[{"badge": star["id"]}])
    # A rule that reacts to its own badge: each grant would call for the next, forever.
    _rule(running, name="Echo", source={"event_type": "EARNED_BADGE"}, reactions=[{"badge": star["id"]}])
    first = send(running.client, connector, {"id": "s-1", "email": unique_email(), "at": AT}).json()[
        "results"
    ][0]
    member_id = first["profile"]["id"]
    assert _eventually(lambda: len(_member_badges(running, member_id)) >= 6)
    time.sleep(1.0)
    assert len(_member_badges(running, member_id)) == 6  # the start, then five follow-ups, then it stops
    events = running.admin.get("/api/events", params={"connector": "type:EARNED_BADGE"}).json()["items"]
    assert len(events) == 5


def test_dry_runs_show_reactions_and_grant_nothing(running: Server) -> None:
    star = _badge(running, "Dry star")
    connector = create_connector(running.admin)
    _rule(
        running,
        name="Order",
        source={"connector": connector["id"]},
        reward={"fixed": 1},
        reactions=[{"badge": star["id"]}],
    )
    email = unique_email()
    report = running.admin.post(
        f"/api/connectors/{connector['id']}/dry-run",
        json={"body": {"id": "d-1", "email": email, "at": AT}, "query": {"token": token_of(connector)}},
    ).json()
    [done] = report["results"][0]["awards"][0]["reactions"]
    assert done["granted"] is True and done["memberBadgeId"] is None  # a grant that was rolled back
    live = send(running.client, connector, {"id": "d-2", "email": email, "at": AT}).json()["results"][0]
    assert live["awards"][0]["reactions"][0]["granted"] is True  # the dry run granted nothing


def test_webhook_reactions_and_badge_messages_reach_the_receiver(fresh_url: str) -> None:  # noqa: F811
    with receiving(free_port()) as receiver, _server(fresh_url) as server:
        endpoint = server.admin.post(
            "/api/webhook-endpoints", json={"url": receiver.url, "kinds": ["badge.earned"]}
        )
        assert endpoint.status_code == 201, endpoint.text
        hook = endpoint.json()
        star = _badge(server, "Webhook star")
        connector = create_connector(server.admin)
        _rule(server, name="Notify", source={"connector": connector["id"]}, reward={"fixed": 3},
              reactions=[{"badge": star["id"]}, {"webhook": hook["id"]}])  # fmt: skip
        result = send(server.client, connector, {"id": "w-1", "email": unique_email(), "at": AT}).json()[
            "results"
        ][0]
        sent = result["awards"][0]["reactions"][1]
        assert sent["sent"] is True and sent["messageId"].startswith("msg_")
        earned = receiver.wait_for(1, type="badge.earned")[0].json
        reacted = receiver.wait_for(1, type="rule.reacted")[0].json
        receiver.verified(hook["secret"])
        assert earned["data"]["badge"] == star["id"] and earned["data"]["badgeName"] == "Webhook star"
        assert reacted["data"]["rule"] == "Notify" and reacted["data"]["points"] == 3
        assert reacted["data"]["eventId"] == result["eventId"]


def test_a_replay_reacts_for_the_awards_it_makes_anew_and_only_once(running: Server) -> None:
    late = _badge(running, "Late joiner")
    connector = create_connector(running.admin)
    email = unique_email()
    first = send(running.client, connector, {"id": "r-1", "email": email, "at": AT}).json()["results"][0]
    assert first["awards"] == []  # no rule yet
    _rule(running, name="Joined", source={"connector": connector["id"]}, reward={"fixed": 4},
          reactions=[{"badge": late["id"]}])  # fmt: skip
    preview = running.admin.post(f"/api/connectors/{connector['id']}/replay", json={"apply": False})
    assert preview.status_code == 200, preview.text
    [would] = preview.json()["results"][0]["reactions"]
    assert would["badge"] == late["id"] and would["granted"] is True and would["memberBadgeId"] is None
    assert _member_badges(running, first["profile"]["id"]) == []  # a preview grants nothing
    applied = running.admin.post(f"/api/connectors/{connector['id']}/replay", json={"apply": True}).json()
    [entry] = [e for r in applied["results"] for e in r["entries"]]
    assert entry["kind"] == "award" and entry["points"] == 4
    [owned] = _member_badges(running, first["profile"]["id"])
    assert owned["badge"] == late["id"] and owned["source"] == "rule"
    running.admin.post(f"/api/connectors/{connector['id']}/replay", json={"apply": True})  # nothing new
    assert len(_member_badges(running, first["profile"]["id"])) == 1
