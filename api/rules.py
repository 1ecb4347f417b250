"""Admin API for earning rules. Every change makes a new version; the ledger names the version."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.http import JSON, choice_param, db_of, read_json
from earning_rules import parse_rule, rule_definition_to_json
from errors import InvalidRule, NotFound
from storage import rules as store

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
            raise InvalidRule(f"source.{kind}: {source[kind]!r} {words}")


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
    async with db_of(request).write() as conn:
        current = await _get_or_404(conn, request.path_params["rule_id"], for_update=True)
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
