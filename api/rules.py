"""Admin API for earning rules. Every change makes a new version; the ledger names the version."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.http import JSON, choice_param, db_of, read_json, settings_of
from api.models.rules import RulePreviewInput
from api.validation import read_input
from earning_rules import parse_rule, rule_definition_to_json
from earning_rules.validate import show
from errors import Conflict, InvalidRule, NotFound
from pipeline.rule_preview import preview
from storage import badges as badge_store
from storage import logs
from storage import rewards as reward_store
from storage import rules as store
from storage import webhooks as webhook_store

STATUSES = ("draft", "active", "paused", "archived")


def rule_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "version": row["version"],
        **row["definition"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }


def _normalised(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidRule("body: expected a JSON object describing the rule")
    data = {k: v for k, v in data.items() if k not in ("id", "version", "createdAt", "updatedAt")}
    return rule_definition_to_json(parse_rule(data))


_NOT_FOUND = {
    "connector": "is not a connector (copy the id from the connector: GET /api/connectors)",
    "event_type": "is not an event type (create it first: POST /api/event-types)",
}


async def _check_source(conn: Any, definition: dict[str, Any]) -> None:
    """A rule must name a connector or event type that exists: a typo must not silently do nothing.

    The pure parser (earning_rules) cannot know what exists; this is the API's half of the check.
    """
    source = definition["source"]
    for kind, words in _NOT_FOUND.items():
        if kind in source and not await store.source_exists(conn, kind, source[kind]):
            raise InvalidRule(f"source.{kind}: {show(source[kind])} {words}")
    await _check_reactions(conn, definition.get("reactions") or [])


async def _check_reactions(conn: Any, reactions: list[dict[str, str]]) -> None:
    """A reaction must name a badge, reward or webhook endpoint that exists (earning_rules.reactions)."""
    badges = await badge_store.existing_ids(conn, {r["badge"] for r in reactions if "badge" in r})
    for i, reaction in enumerate(reactions):
        if "badge" in reaction and reaction["badge"] not in badges:
            raise InvalidRule(
                f"reactions[{i}].badge: {show(reaction['badge'])} is not a badge; GET /api/badges lists them"
            )
        if "reward" in reaction and not await reward_store.existing_ids(conn, [reaction["reward"]]):
            raise InvalidRule(
                f"reactions[{i}].reward: {show(reaction['reward'])} is not a reward; "
                "GET /api/rewards lists them"
            )
        if "webhook" in reaction and await webhook_store.get_endpoint(conn, reaction["webhook"]) is None:
            raise InvalidRule(
                f"reactions[{i}].webhook: {show(reaction['webhook'])} is not a webhook endpoint; "
                "GET /api/webhook-endpoints lists them"
            )


async def list_rules(request: Request) -> Response:
    status = choice_param(request, "status", STATUSES)
    async with db_of(request).read() as conn:
        rows = await store.list_rules(conn, frozenset({status}) if status else None)
    return JSON({"items": [rule_json(r) for r in rows]})


async def create_rule(request: Request) -> Response:
    definition = _normalised(await read_json(request))
    now = datetime.now(UTC)
    row = {
        "id": "rule_" + secrets.token_hex(6),
        "version": 1,
        "name": definition["name"],
        "status": definition["status"],
        "priority": definition.get("priority", 0),
        "definition": definition,
        "created_at": now,
        "updated_at": now,
    }
    async with db_of(request).write() as conn:
        await _check_source(conn, definition)
        await store.insert_rule(conn, row)
    return JSON(rule_json(row), status_code=201, headers={"Location": f"/api/rules/{row['id']}"})


async def _get_or_404(conn: Any, rule_id: str, *, for_update: bool = False) -> dict[str, Any]:
    row = await store.get_rule(conn, rule_id, for_update=for_update)
    if row is None:
        raise NotFound(f"no earning rule {rule_id!r}", code="unknown_rule")
    return row


async def get_rule(request: Request) -> Response:
    async with db_of(request).read() as conn:
        row = await _get_or_404(conn, request.path_params["rule_id"])
    return JSON(rule_json(row))


async def update_rule(request: Request) -> Response:
    """PATCH: the given fields replace the current ones; the result is checked as a whole.

    The current definition is read under the rule's row lock, so two concurrent PATCHes of one
    rule apply one after the other (each merges into what the other wrote) instead of the later
    one silently dropping the earlier one's fields. A PATCH that changes nothing (after
    normalising) answers the rule as it is and makes no new version.

    The source must exist when the PATCH changes it, or when the rule comes out `active`; so a
    rule whose connector was deleted can still be paused, archived or renamed while not active.
    """
    changes = await read_json(request)
    if not isinstance(changes, dict):
        raise InvalidRule("body: expected a JSON object with the fields to change")
    rule_id = request.path_params["rule_id"]
    if "id" in changes and changes["id"] != rule_id:
        raise InvalidRule(f"id: {changes['id']!r} is not this rule's id {rule_id!r}; an id cannot be changed")
    async with db_of(request).write() as conn:
        current = await _get_or_404(conn, rule_id, for_update=True)
        if "version" in changes and changes["version"] != current["version"]:
            # A PATCH of what was read (GET, edit, PATCH back) must not overwrite a newer version.
            raise Conflict(
                f"version: {changes['version']!r} is not the current version {current['version']}: the rule "
                "changed since it was read; read it again, or leave version out to change it anyway",
                code="rule_changed",
            )
        definition = _normalised({**current["definition"], **changes})
        if definition == current["definition"]:
            return JSON(rule_json(current))
        if definition["source"] != current["definition"].get("source") or definition["status"] == "active":
            await _check_source(conn, definition)
        row = await store.update_rule(
            conn,
            current,
            {
                "name": definition["name"],
                "status": definition["status"],
                "priority": definition.get("priority", 0),
                "definition": definition,
            },
            datetime.now(UTC),
        )
    return JSON(rule_json(row))


async def list_rule_versions(request: Request) -> Response:
    async with db_of(request).read() as conn:
        await _get_or_404(conn, request.path_params["rule_id"])
        rows = await store.list_rule_versions(conn, request.path_params["rule_id"])
    return JSON(
        {
            "items": [
                {"version": r["version"], "definition": r["definition"], "createdAt": r["created_at"]}
                for r in rows
            ]
        }
    )


async def preview_rule(request: Request) -> Response:
    """POST {"rule": {...}, "limit": 50}: the rule, saved or not, judged on recent processed events
    of its source, as if active; nothing is written. Past awards are not counted against limits."""
    wanted = read_input(RulePreviewInput, await read_json(request), code="invalid_rule")
    limit = wanted.limit
    definition = parse_rule(wanted.rule)  # its paths start inside the rule, as the form's fields do
    source = rule_definition_to_json(definition)["source"]
    async with db_of(request).read() as conn:
        await _check_source(conn, {"source": source})
        rows = await logs.list_events(
            conn,
            logs.LogFilter(
                connector_id=source.get("connector"),
                event_type=source.get("event_type"),
                status="processed",
                test=False,
                limit=limit,
            ),
        )
    return JSON(preview(definition, rows, settings_of(request).tz))
