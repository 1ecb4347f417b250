"""Admin API for event types: the built-in ones and custom ones with their own JSON Schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import event_types
from api.http import JSON, db_of, read_json
from errors import Conflict, InvalidInput, NotFound
from event_types.dates import MAX_BOUND_SECONDS
from event_types.enhancers import parse_enhancers
from pipeline.report import source_id
from storage import event_types as store
from storage import rules as rule_store
from storage.event_types import new_type_secret
from storage.purge import purge_test_data

FIELDS = ("name", "schema", "description", "reporting", "occurredAt", "enhancers")
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


def _parse(data: Any, *, name: str | None = None) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput(
            "body: expected an object with name, schema and description", code="invalid_event_type"
        )
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise InvalidInput(
            f"{unknown[0]}: unknown field; expected {', '.join(FIELDS)}", code="invalid_event_type"
        )
    name = name or data.get("name")
    if "schema" not in data:
        raise InvalidInput("schema: required (a JSON Schema object)", code="invalid_event_type")
    event_types.check_schema(name, data["schema"])  # type: ignore[arg-type]
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InvalidInput(f"description: {description!r} must be text", code="invalid_event_type")
    reporting = data.get("reporting", "connectors")
    if reporting not in event_types.REPORTING:
        raise InvalidInput(
            f"reporting: {reporting!r} is not one of {', '.join(event_types.REPORTING)}",
            code="invalid_event_type",
        )
    if reporting != "connectors" and len(str(name)) > MAX_REPORTABLE_NAME:
        raise InvalidInput(
            f"name: {len(str(name))} characters; a {reporting} event type's name has at most "
            f"{MAX_REPORTABLE_NAME}",
            code="invalid_event_type",
        )
    return {
        "name": name,
        "json_schema": data["schema"],
        "description": description,
        "reporting": reporting,
        **_date_bounds(data.get("occurredAt", {})),
        "enhancers": parse_enhancers(data.get("enhancers", [])),
    }


def _date_bounds(data: Any) -> dict[str, int | None]:
    if not isinstance(data, dict) or set(data) - {"maxPastSeconds", "maxFutureSeconds"}:
        raise InvalidInput(
            'occurredAt: expected {"maxPastSeconds": …, "maxFutureSeconds": …} (either may be left out '
            "for the program's defaults)",
            code="invalid_event_type",
        )
    bounds: dict[str, int | None] = {}
    for key, column in (("maxPastSeconds", "max_past_seconds"), ("maxFutureSeconds", "max_future_seconds")):
        value = data.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_BOUND_SECONDS
        ):
            raise InvalidInput(
                f"occurredAt.{key}: {value!r} must be a whole number of seconds from 0 to "
                f"{MAX_BOUND_SECONDS}",
                code="invalid_event_type",
            )
        bounds[column] = value
    return bounds


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
    values = _parse(await read_json(request))
    async with db_of(request).write() as conn:
        if await store.get_event_type(conn, values["name"]) is not None:
            raise Conflict(f"name: event type {values['name']!r} already exists; PUT to change it")
        secret = new_type_secret() if values["reporting"] == "private" else None
        row = {**values, "builtin": False, "created_at": datetime.now(UTC), "secret": secret}
        await store.insert_event_type(conn, row)
    return JSON(event_type_json(row, secret=secret), status_code=201)


async def replace_event_type(request: Request) -> Response:
    name = request.path_params["name"]
    values = _parse(await read_json(request), name=name)
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
