"""Admin keys with roles, and the audit log of admin writes (owners only; api/roles.py)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.admin_auth import digest_of
from api.http import JSON, MAX_ID, db_of, int_param, page, read_json, text_param, time_param
from api.models.access import AdminKeyInput
from api.validation import read_input
from errors import NotFound
from storage import admin_keys as store


def key_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "role": row["role"],
        "prefix": row["prefix"] + "…",
        "createdAt": row["created_at"],
        "revokedAt": row["revoked_at"],
    }


async def create_key(request: Request) -> Response:
    key = read_input(AdminKeyInput, await read_json(request), code="invalid_admin_key")
    token = "adk_" + secrets.token_urlsafe(32)
    row = {
        "id": "key_" + secrets.token_hex(6),
        "name": key.name,
        "role": key.role,
        "digest": digest_of(token),
        "prefix": token[:8],
        "created_at": datetime.now(UTC),
        "revoked_at": None,
    }
    async with db_of(request).write() as conn:
        await store.insert_key(conn, row)
    # The token is shown this once; only its digest is kept.
    return JSON({**key_json(row), "token": token}, status_code=201)


async def list_keys(request: Request) -> Response:
    async with db_of(request).read() as conn:
        rows = await store.list_keys(conn)
    return JSON({"items": [key_json(r) for r in rows]})


async def revoke_key(request: Request) -> Response:
    key_id = request.path_params["key_id"]
    async with db_of(request).write() as conn:
        if not await store.revoke_key(conn, key_id, datetime.now(UTC)):
            raise NotFound(f"no active admin key {key_id!r}", code="unknown_admin_key")
    return Response(status_code=204)


def audit_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "at": row["at"],
        "key": {"id": row["key_id"], "name": row["key_name"], "role": row["role"]},
        "method": row["method"],
        "path": row["path"],
        "status": row["status"],
        "request": row["request"],
        "before": row["before"],
        "after": row["after"],
    }


async def list_audit(request: Request) -> Response:
    """Every admin write, newest first: ?key= (an admin key id), ?path= (a path prefix), ?since=."""
    limit = int_param(request, "limit", 50, minimum=1, maximum=500)
    raw_before = request.query_params.get("before")
    before = int_param(request, "before", 0, minimum=1, maximum=MAX_ID) if raw_before else None
    async with db_of(request).read() as conn:
        rows = await store.list_audit(
            conn,
            key_id=text_param(request, "key"),
            path_prefix=text_param(request, "path"),
            since=time_param(request, "since"),
            limit=limit,
            before=before,
        )
    return JSON(page([audit_json(r) for r in rows], limit))


ROUTES = [
    Route("/api/admin-keys", list_keys, methods=["GET"]),
    Route("/api/admin-keys", create_key, methods=["POST"]),
    Route("/api/admin-keys/{key_id}", revoke_key, methods=["DELETE"]),
    Route("/api/audit", list_audit, methods=["GET"]),
]
