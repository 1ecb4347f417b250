"""Admin API for samples: pick a recent request, save it as a named sample, check a mapping against all."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.http import JSON, db_of, int_param, path_id, read_json, settings_of
from errors import Conflict, InvalidInput, NotFound
from mapping import CompiledMapping
from pipeline.sample_check import check_samples, sample_output
from settings import Settings
from storage import connectors as connector_store
from storage import samples as store

SAMPLE_FIELDS = ("name", "eventId", "body", "headers", "query")


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_sample")


def sample_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "connectorId": row["connector_id"],
        "name": row["name"],
        "body": row["body"],
        "headers": row["headers"],
        "query": row["query"],
        "expected": row["expected"],
        "mappingVersion": row["mapping_version"],
        "createdAt": row["created_at"],
    }


async def _connector(conn: AsyncConnection, request: Request) -> dict[str, Any]:
    connector_id = request.path_params["connector_id"]
    row = await connector_store.get_connector(conn, connector_id)  # no NUL: api/path_guard.py
    if row is None:
        raise NotFound(f"no connector {connector_id!r}", code="unknown_connector")
    return row


def compile_mapping(expression: str, settings: Settings) -> CompiledMapping:
    return CompiledMapping.compile(expression, **settings.mapping_bounds)


async def recent_requests(request: Request) -> Response:
    limit = int_param(request, "limit", 20, minimum=1, maximum=200)
    async with db_of(request).read() as conn:
        connector = await _connector(conn, request)
        rows = await store.recent_raw_events(conn, connector["id"], limit)
    items = [
        {
            "eventId": r["id"],
            "requestId": r["request_id"],
            "index": r["index"],
            "status": r["status"],
            "test": r["test"],
            "receivedAt": r["received_at"],
            "raw": r["raw"],
        }
        for r in rows
    ]
    return JSON({"items": items})


def _text_map(data: Mapping[str, Any], name: str) -> dict[str, str]:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise _bad(f'{name}: {value!r} must be an object of texts, e.g. {{"x-shop": "acme"}}')
    return {str(k).lower() if name == "headers" else str(k): v for k, v in value.items()}


async def create_sample(request: Request) -> Response:
    data = await read_json(request)
    if not isinstance(data, Mapping):
        raise _bad('body: expected {"name": "…", "eventId": 123} or {"name": "…", "body": {…}}')
    unknown = sorted(set(data) - set(SAMPLE_FIELDS))
    if unknown:
        raise _bad(f"{unknown[0]}: unknown field; expected one of {', '.join(SAMPLE_FIELDS)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise _bad(f"name: {name!r} must be a non-empty text of at most 200 characters")
    name = name.strip()
    if ("eventId" in data) == ("body" in data):
        raise _bad("eventId, body: give exactly one (an event of this connector, or a raw event)")
    event_id = data.get("eventId")
    if "eventId" in data and (
        not isinstance(event_id, int) or isinstance(event_id, bool) or not 1 <= event_id < 2**63
    ):
        raise _bad(f"eventId: {event_id!r} is not an event id")
    headers, query = _text_map(data, "headers"), _text_map(data, "query")
    settings = settings_of(request)
    async with db_of(request).write() as conn:
        connector = await _connector(conn, request)
        body = data.get("body")
        if event_id is not None:
            seen = await store.input_of_event(conn, connector["id"], event_id)
            if seen is None:
                raise _bad(f"eventId: {event_id} is not an event of connector {connector['id']}")
            # What the mapping saw on that request; headers or query given here are added over it.
            body = seen["body"]
            headers, query = {**seen["headers"], **headers}, {**seen["query"], **query}
        if await store.name_taken(conn, connector["id"], name):
            raise Conflict(
                f"name: connector {connector['id']} already has a sample {name!r}", code="sample_exists"
            )
        row: dict[str, Any] = {
            "connector_id": connector["id"],
            "name": name,
            "body": body,
            "headers": headers,
            "query": query,
            "mapping_version": connector["mapping_version"],
            "created_at": datetime.now(UTC),
        }
        mapping = compile_mapping(connector["mapping"], settings)
        row["expected"] = await anyio.to_thread.run_sync(sample_output, mapping, row, connector)
        row["id"] = await store.insert_sample(conn, row)
    return JSON(
        sample_json(row),
        status_code=201,
        headers={"Location": f"/api/connectors/{connector['id']}/samples/{row['id']}"},
    )


async def list_samples(request: Request) -> Response:
    async with db_of(request).read() as conn:
        connector = await _connector(conn, request)
        rows = await store.list_samples(conn, connector["id"])
    return JSON({"items": [sample_json(r) for r in rows]})


async def delete_sample(request: Request) -> Response:
    sample_id = path_id(request, "sample_id", "sample", code="unknown_sample")
    async with db_of(request).write() as conn:
        connector = await _connector(conn, request)
        if not await store.delete_sample(conn, connector["id"], sample_id):
            raise NotFound(f"no sample {sample_id} on connector {connector['id']}", code="unknown_sample")
    return Response(status_code=204)


async def mapping_check(request: Request) -> Response:
    data = await read_json(request)
    if not isinstance(data, Mapping) or set(data) != {"mapping"}:
        raise _bad('body: expected {"mapping": "<JSONata expression>"} and nothing else')
    expression = data["mapping"]
    if not isinstance(expression, str) or not expression.strip():
        raise _bad(f"mapping: {expression!r} must be a non-empty JSONata expression")
    mapping = compile_mapping(expression, settings_of(request))  # a syntax error is a 422 naming the position
    async with db_of(request).read() as conn:
        connector = await _connector(conn, request)
        checks = await check_samples(conn, connector, mapping)
    return JSON({"changed": sum(1 for c in checks if c["changed"]), "samples": checks})


_C = "/api/connectors/{connector_id}"
ROUTES = [
    Route(_C + "/recent-requests", recent_requests, methods=["GET"]),
    Route(_C + "/samples", list_samples, methods=["GET"]),
    Route(_C + "/samples", create_sample, methods=["POST"]),
    Route(_C + "/samples/{sample_id}", delete_sample, methods=["DELETE"]),
    Route(_C + "/mapping-check", mapping_check, methods=["POST"]),
]
