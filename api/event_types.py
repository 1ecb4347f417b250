"""Admin API for event types: the built-in ones and custom ones with their own JSON Schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import event_types
from api.http import JSON, db_of, read_json
from errors import Conflict, InvalidInput, NotFound
from storage import event_types as store
from storage import rules as rule_store


def event_type_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "description": row["description"],
        "schema": row["json_schema"],
        "builtin": row["builtin"],
        "createdAt": row["created_at"],
    }


def _parse(data: Any, *, name: str | None = None) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput(
            "body: expected an object with name, schema and description", code="invalid_event_type"
        )
    unknown = sorted(set(data) - {"name", "schema", "description"})
    if unknown:
        raise InvalidInput(
            f"{unknown[0]}: unknown field; expected name, schema, description", code="invalid_event_type"
        )
    name = name or data.get("name")
    if "schema" not in data:
        raise InvalidInput("schema: required (a JSON Schema object)", code="invalid_event_type")
    event_types.check_schema(name, data["schema"])  # type: ignore[arg-type]
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InvalidInput(f"description: {description!r} must be text", code="invalid_event_type")
    return {"name": name, "json_schema": data["schema"], "description": description}


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
        row = {**values, "builtin": False, "created_at": datetime.now(UTC)}
        await store.insert_event_type(conn, row)
    return JSON(event_type_json(row), status_code=201)


async def replace_event_type(request: Request) -> Response:
    name = request.path_params["name"]
    values = _parse(await read_json(request), name=name)
    async with db_of(request).write() as conn:
        row = await store.get_event_type(conn, name)
        if row is None:
            raise NotFound(f"no event type {name!r}", code="unknown_event_type")
        if row["builtin"]:
            raise Conflict(f"event type {name!r} is built in and cannot be changed; create your own")
        await store.update_event_type(
            conn, name, {"json_schema": values["json_schema"], "description": values["description"]}
        )
        row = await store.get_event_type(conn, name)
    assert row is not None
    return JSON(event_type_json(row))


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
