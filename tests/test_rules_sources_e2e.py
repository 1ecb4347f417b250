"""A rule's source must exist: a typo in a connector id or event type is a 422, not a silent rule.

And what happens to rules when the connector or event type they name goes away. Over real HTTP,
on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, unique_email
from tests.test_ledger_limits_e2e import concurrently

SCHEMA = {"type": "object"}


def rule_body(source: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Archived by default: the server is shared, and an active (or, in their dry runs, a draft)
    rule on `any` would credit other tests' events."""
    return {"name": "y", "status": "archived", "source": source, "reward": {"fixed": 1}, **fields}


def test_a_rule_naming_an_unknown_connector_or_event_type_is_refused(server: Server) -> None:
    connector = create_connector(server.admin)
    before = server.admin.get("/api/rules").json()["items"]
    assert_error(
        server.admin.post("/api/rules", json=rule_body({"connector": "con_nope"})),
        422,
        "invalid_rule",
        'source.connector: "con_nope" is not a connector',
    )
    refund = f"ecommerce.refund{unique_email('')[1:7]}"  # the server is shared: a name of our own
    assert_error(
        server.admin.post("/api/rules", json=rule_body({"event_type": refund})),
        422,
        "invalid_rule",
        f'source.event_type: "{refund}" is not an event type',
        "POST /api/event-types",
    )
    assert server.admin.get("/api/rules").json()["items"] == before  # nothing was saved
    # Existing ones are accepted: the connector, a built-in event type, a custom one, any.
    assert server.admin.post("/api/event-types", json={"name": refund, "schema": SCHEMA}).is_success
    for source in (
        {"connector": connector["id"]},
        {"event_type": "ecommerce.purchase"},
        {"event_type": refund},
        {"any": True},
    ):
        created = server.admin.post("/api/rules", json=rule_body(source))
        assert created.status_code == 201, created.text
        assert created.json()["source"] == source


def test_an_edit_to_an_unknown_source_is_refused_and_changes_nothing(server: Server) -> None:
    connector = create_connector(server.admin)
    rule = server.admin.post("/api/rules", json=rule_body({"connector": connector["id"]})).json()
    url = f"/api/rules/{rule['id']}"
    assert_error(
        server.admin.patch(url, json={"source": {"connector": "con_typo"}}),
        422,
        "invalid_rule",
        'source.connector: "con_typo" is not a connector',
    )
    assert_error(
        server.admin.patch(url, json={"source": {"event_type": "app.login"}, "name": "z"}),
        422,
        "invalid_rule",
        'source.event_type: "app.login" is not an event type',
    )
    assert server.admin.get(url).json() == rule
    assert [v["version"] for v in server.admin.get(f"{url}/versions").json()["items"]] == [1]
    moved = server.admin.patch(url, json={"source": {"event_type": "custom.basic"}})
    assert moved.status_code == 200 and moved.json()["version"] == 2


def test_an_event_type_a_rule_listens_to_cannot_be_deleted(server: Server) -> None:
    name = f"app.login{unique_email('')[1:7]}"
    assert server.admin.post("/api/event-types", json={"name": name, "schema": SCHEMA}).status_code == 201
    rule = server.admin.post("/api/rules", json=rule_body({"event_type": name})).json()
    # Any status counts: an archived rule may be made active again.
    error = assert_error(server.admin.delete(f"/api/event-types/{name}"), 409, "conflict", name, rule["id"])
    assert "earning rule" in error["message"]
    assert server.admin.get(f"/api/event-types/{name}").status_code == 200
    # Once no rule names it, it goes.
    patched = server.admin.patch(f"/api/rules/{rule['id']}", json={"source": {"any": True}})
    assert patched.status_code == 200, patched.text
    assert server.admin.delete(f"/api/event-types/{name}").status_code == 204
    assert_error(
        server.admin.patch(f"/api/rules/{rule['id']}", json={"source": {"event_type": name}}),
        422,
        "invalid_rule",
        f'source.event_type: "{name}" is not an event type',
    )


def test_deleting_a_connector_leaves_its_rules_which_never_match(server: Server) -> None:
    gone, other = create_connector(server.admin), create_connector(server.admin)
    rule = server.admin.post("/api/rules", json=rule_body({"connector": gone["id"]}, status="active")).json()
    assert server.admin.delete(f"/api/connectors/{gone['id']}").status_code == 204
    url = f"/api/rules/{rule['id']}"
    assert server.admin.get(url).json()["source"] == {"connector": gone["id"]}
    response = send(server.client, other, {"id": "e-1", "email": unique_email()})
    event = server.admin.get(f"/api/events/{response.json()['results'][0]['eventId']}").json()
    step = next(step for step in event["trace"] if step["step"] == "rules")
    assert rule["id"] not in [r["ruleId"] for r in step["rules"]] and step["otherSources"] >= 1
    # While it stays active, an edit must point it somewhere that exists; pausing it needs nothing.
    assert_error(
        server.admin.patch(url, json={"name": "renamed"}),
        422,
        "invalid_rule",
        f'source.connector: "{gone["id"]}" is not a connector',
    )
    paused = server.admin.patch(url, json={"status": "paused"})
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert server.admin.patch(url, json={"name": "renamed"}).status_code == 200
    assert_error(server.admin.patch(url, json={"status": "active"}), 422, "invalid_rule", "source.connector")


def _saving_a_rule(name: str) -> tuple[str, dict[str, Any]]:
    return "/api/rules", rule_body({"event_type": name})


def _saving_a_connector(name: str) -> tuple[str, dict[str, Any]]:
    return "/api/connectors", {
        "name": "race",
        "auth": {"method": "query_token"},
        "mapping": "$",
        "eventType": name,
    }


@pytest.mark.parametrize("saving", [_saving_a_rule, _saving_a_connector], ids=["rule", "connector"])
def test_deleting_an_event_type_while_its_user_is_saved_never_leaves_it_dangling(
    server: Server, saving: Callable[[str], tuple[str, dict[str, Any]]]
) -> None:
    """Delete and create race: either the rule (or connector) is saved and the event type stays,
    or it is refused (the event type went first). Never one naming a deleted event type."""
    headers = dict(server.admin.headers)
    for round_number in range(8):
        name = f"race.t{round_number}{unique_email('')[1:7]}"
        assert server.admin.post("/api/event-types", json={"name": name, "schema": SCHEMA}).is_success
        path, body = saving(name)

        def delete(client: httpx.Client, name: str = name) -> int:
            return client.delete(f"/api/event-types/{name}", headers=headers).status_code

        def create(client: httpx.Client, path: str = path, body: dict[str, Any] = body) -> int:
            return client.post(path, json=body, headers=headers).status_code

        deleted, created = concurrently([delete, create], server)
        exists = server.admin.get(f"/api/event-types/{name}").status_code == 200
        assert (created, deleted, exists) in ((201, 409, True), (422, 204, False)), (created, deleted)
