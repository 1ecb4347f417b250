"""Build the OpenAPI 3.1 document from the app's routes plus the per-route table.

The routes are the truth for which operations exist: a route missing from OPERATIONS still
appears (summarised from its handler's docstring), so /openapi.json never lies by omission.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.routing import BaseRoute, Route

from openapi.components import model_schemas, page_of, ref
from openapi.operations import OPERATIONS, PATH_PARAMS, QUERY, Op

_PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")
_REASONS = {
    400: "Malformed body",
    401: "Not authenticated",
    403: "Origin not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone: expired or revoked",
    413: "Too large",
    415: "Unsupported media type",
    422: "Invalid content; the message names the field and value",
    429: "Too many requests: wait the seconds in Retry-After",
}
_ADMIN_SECURITY: list[dict[str, list[str]]] = [{"adminToken": []}]


def operations_of(routes: Iterable[BaseRoute]) -> list[tuple[str, str, Route]]:
    """(METHOD, OpenAPI path, route) for every HTTP operation; HEAD is implied by GET, so left out."""
    found = []
    for route in routes:
        if not isinstance(route, Route) or not route.include_in_schema:
            continue  # the console's pages and redirects are not API
        path = _PARAM.sub(lambda m: "{" + m.group(1) + "}", route.path)  # {id:int} -> {id}
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, path, route))
    return found


def _fallback(route: Route) -> Op:
    doc = (route.endpoint.__doc__ or "").strip().splitlines()
    summary = doc[0] if doc else route.name.replace("_", " ").capitalize()
    return Op(summary, "other")


# Path parameters that are numeric ids: a path with anything else is a 422 (not a number) or 404.
_NUMERIC_IDS = {"event_id", "profile_id", "sample_id", "member_id", "message_id", "issued_id"}


def _parameters(path: str, op: Op) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": PATH_PARAMS.get(name, name),
            "schema": {"type": "integer", "minimum": 0} if name in _NUMERIC_IDS else {"type": "string"},
        }
        for name in _PARAM.findall(path)
    ]
    for key in op.query:
        description, schema = QUERY[key]
        name = key.rsplit("_", 1)[-1] if key.endswith(("_status", "_limit", "_key")) else key
        params.append(
            {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
        )
    return params


def _responses(op: Op, method: str, path: str) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": op.summary}
    if op.media in ("text/html", "text/plain"):
        ok["content"] = {op.media: {"schema": {"type": "string"}}}
    elif op.response is not None:
        schema = page_of(op.response) if op.list_of else ref(op.response)
        ok["content"] = {op.media: {"schema": schema}}
    responses: dict[str, Any] = {str(op.status): ok}
    for status in sorted({*op.errors, *_always(op, method, path)}):
        if op.error_media == "application/json":
            responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
        else:
            page = {op.error_media: {"schema": {"type": "string"}}}
            responses[str(status)] = {"description": _REASONS[status], "content": page}
    return responses


def _always(op: Op, method: str, path: str) -> set[int]:
    """Answers every operation of a kind can give, whatever its own line says."""
    statuses: set[int] = set()
    if method in ("POST", "PUT", "PATCH"):
        statuses |= {400, 413}  # a body that is not JSON (or has a key twice); a body over the limit
        if op.body is not None:
            statuses.add(422)
    if op.query or _PARAM.search(path):
        statuses.add(422)  # a query parameter or a numeric id that is not what it says
    if _PARAM.search(path) and path.startswith("/api/"):
        statuses.add(404)
    if path.startswith("/ingest/") and method != "OPTIONS":
        statuses |= {400, 401, 403, 404, 405, 413, 415, 429}
    if path.startswith("/ingest/") and method == "OPTIONS":
        statuses |= {403, 404}
    return statuses


def _operation(method: str, path: str, route: Route) -> dict[str, Any]:
    op = OPERATIONS.get((method, path)) or _fallback(route)
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{route.name}",
        "summary": op.summary,
        "tags": [op.tag],
        "responses": _responses(op, method, path),
    }
    if (method, path) not in OPERATIONS:
        operation["x-undescribed"] = True  # tests/test_openapi.py asks for a line in OPERATIONS
    parameters = _parameters(path, op)
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(op.body)}},
        }
    if path.startswith("/api/"):
        operation["security"] = _ADMIN_SECURITY
        operation["responses"].setdefault("401", {"$ref": "#/components/responses/E401"})
    else:
        operation["security"] = []  # public: senders authenticate per connector, not with the admin token
    return operation


def build_document(routes: Iterable[BaseRoute], *, base_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, route in operations_of(routes):
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, route)
    error = {"application/json": {"schema": ref("Error")}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Inbound",
            "version": "0.1.0",
            "description": "Turn events POSTed to connector URLs into loyalty points. Senders deliver to "
            "/ingest/{connector_id}, authenticated as the connector's auth method says; the admin API "
            "under /api/ needs `Authorization: Bearer <admin token>`. Every error is "
            '{"error": {"code", "message"}}.',
        },
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "schemas": model_schemas(),
            "responses": {f"E{s}": {"description": text, "content": error} for s, text in _REASONS.items()},
            "securitySchemes": {
                "adminToken": {"type": "http", "scheme": "bearer", "description": "the admin token"}
            },
        },
    }
