"""Admin API for samples: pick a recent request, save it as a named sample, check a mapping against all."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.http import JSON, db_of, int_param, path_id, read_json, settings_of
from api.models.trials import MappingInput, SampleInput
from api.validation import read_input
from errors import Conflict, InvalidInput, NotFound
from mapping import CompiledMapping
from pipeline.sample_check import check_samples, sample_output
from settings import Settings
from storage import connectors as connector_store
from storage import samples as store
from storage.database import Connection


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


async def _connector(conn: Connection, request: Request) -> dict[str, Any]:
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


async def create_sample(request: Request) -> Response:
    sample = read_input(SampleInput, await read_json(request), code="invalid_sample")
    name, event_id = sample.name, sample.event_id
    headers = {k.lower(): v for k, v in sample.headers.items()}
    query = sample.query
    settings = settings_of(request)
    async with db_of(request).write() as conn:
        connector = await _connector(conn, request)
        body = sample.body
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
    expression = read_input(MappingInput, await read_json(request), code="invalid_sample").mapping
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
