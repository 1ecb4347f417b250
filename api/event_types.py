"""Admin API for event types: the built-in ones and custom ones with their own JSON Schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import event_types
from api.http import JSON, db_of, read_json
from api.models.event_types import EventTypeFields, EventTypeInput
from api.validation import read_input
from earning_rules.validate import show
from errors import Conflict, InvalidInput, NotFound
from event_types.enhancers import parse_enhancers
from pipeline.report import source_id
from storage import event_types as store
from storage import rules as rule_store
from storage.event_types import new_type_secret
from storage.purge import purge_test_data

_INVALID = "invalid_event_type"
# A reported event's type names its own source in the request and event logs: "type:<name>".
MAX_REPORTABLE_NAME = 59


def event_type_json(row: dict[str, Any], *, secret: str | None = None) -> dict[str, Any]:
    body = {
        "name": row["name"],
        "description": row["description"],
        "schema": row["json_schema"],
        "builtin": row["builtin"],
        "reporting": row["reporting"],
        "occurredAt": {
            "maxPastSeconds": row["max_past_seconds"],
            "maxFutureSeconds": row["max_future_seconds"],
        },
        "enhancers": row["enhancers"] or [],
        "createdAt": row["created_at"],
    }
    if secret is not None:
        body["secret"] = secret  # shown once: when the type becomes private, and when rotated
    return body


def _checked(body: EventTypeFields, name: str) -> dict[str, Any]:
    """The meaning of a well-formed body: a usable schema, a reportable name, distinct enhancers."""
    event_types.check_schema(name, body.json_schema)
    if body.reporting != "connectors" and len(name) > MAX_REPORTABLE_NAME:
        raise InvalidInput(
            f"name: {len(name)} characters; a {body.reporting} event type's name has at most "
            f"{MAX_REPORTABLE_NAME}",
            code=_INVALID,
        )
    values = body.columns()
    values["enhancers"] = parse_enhancers(values["enhancers"])
    return {"name": name, **values}


async def list_event_types(request: Request) -> Response:
    async with db_of(request).read() as conn:
        rows = await store.list_event_types(conn)
    return JSON({"items": [event_type_json(r) for r in rows]})


async def get_event_type(request: Request) -> Response:
    async with db_of(request).read() as conn:
        row = await store.get_event_type(conn, request.path_params["name"])
    if row is None:
        raise NotFound(f"no event type {request.path_params['name']!r}", code="unknown_event_type")
    return JSON(event_type_json(row))


async def create_event_type(request: Request) -> Response:
    body = read_input(EventTypeInput, await read_json(request), code=_INVALID)
    values = _checked(body, str(body.name))
    async with db_of(request).write() as conn:
        if await store.get_event_type(conn, values["name"]) is not None:
            raise Conflict(f"name: event type {values['name']!r} already exists; PUT to change it")
        secret = new_type_secret() if values["reporting"] == "private" else None
        row = {**values, "builtin": False, "created_at": datetime.now(UTC), "secret": secret}
        await store.insert_event_type(conn, row)
    return JSON(event_type_json(row, secret=secret), status_code=201)


async def replace_event_type(request: Request) -> Response:
    name = request.path_params["name"]
    body = read_input(EventTypeFields, await read_json(request), code=_INVALID)
    if body.name is not None and body.name != name:
        raise InvalidInput(
            f"name: {show(body.name)} is not this type's name ({show(name)}); a PUT cannot rename a type",
            code=_INVALID,
        )
    values = _checked(body, name)
    async with db_of(request).write() as conn:
        row = await store.get_event_type(conn, name)
        if row is None:
            raise NotFound(f"no event type {name!r}", code="unknown_event_type")
        if row["builtin"]:
            raise Conflict(f"event type {name!r} is built in and cannot be changed; create your own")
        changes = {k: v for k, v in values.items() if k != "name"}
        secret = None
        if values["reporting"] == "private" and row["reporting"] != "private":
            secret = changes["secret"] = new_type_secret()  # a newly private type gets its secret
        elif values["reporting"] != "private":
            changes["secret"] = None
        await store.update_event_type(conn, name, changes)
        row = await store.get_event_type(conn, name)
    assert row is not None
    return JSON(event_type_json(row, secret=secret))


async def rotate_event_type_secret(request: Request) -> Response:
    """A new secret for a private event type; the old one stops working at once."""
    name = request.path_params["name"]
    async with db_of(request).write() as conn:
        row = await store.get_event_type(conn, name)
        if row is None:
            raise NotFound(f"no event type {name!r}", code="unknown_event_type")
        if row["reporting"] != "private":
            raise Conflict(
                f"event type {name!r} is {row['reporting']}, not private: only a private type has a secret"
            )
        secret = new_type_secret()
        await store.update_event_type(conn, name, {"secret": secret})
        row = await store.get_event_type(conn, name)
    assert row is not None
    return JSON(event_type_json(row, secret=secret))


async def delete_event_type(request: Request) -> Response:
    name = request.path_params["name"]
    async with db_of(request).write() as conn:
        row = await store.get_event_type(conn, name, lock=True)
        if row is None:
            raise NotFound(f"no event type {name!r}", code="unknown_event_type")
        if row["builtin"]:
            raise Conflict(f"event type {name!r} is built in and cannot be deleted")
        users = await store.connectors_using(conn, name)
        if users:
            raise Conflict(
                f"event type {name!r} is the event type of {len(users)} connector(s) ({', '.join(users)}); "
                "change their event type first"
            )
        rules = await rule_store.rules_naming(conn, "event_type", name)
        if rules:
            raise Conflict(
                f"event type {name!r} is the source of {len(rules)} earning rule(s) ({', '.join(rules)}); "
                "change their source first"
            )
        await store.delete_event_type(conn, name)
    return Response(status_code=204)


async def purge_reported_test_data(request: Request) -> Response:
    """The test data reported as this event type (`"test": true` on POST /events), as a
    connector's purge removes its own."""
    name = request.path_params["name"]
    async with db_of(request).write() as conn:
        if await store.get_event_type(conn, name) is None:
            raise NotFound(f"no event type {name!r}", code="unknown_event_type")
        summary = await purge_test_data(conn, source_id(name), datetime.now(UTC))
    return JSON({"purged": summary})
