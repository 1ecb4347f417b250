"""Outgoing webhooks in the admin API: endpoints (subscribe, rotate the secret, test-send) and the
delivery log (messages with their attempts; redeliver by hand). Developers and owners write."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.http import JSON, MAX_ID, db_of, int_param, page, path_id, read_json, read_json_or_empty
from api.models.base import every, sent
from api.models.webhooks import SecretRotation, WebhookEndpointInput, WebhookEndpointPatch
from api.validation import read_input
from errors import InvalidInput, NotFound
from pipeline.webhook_delivery import wake
from storage import webhooks as store
from storage.secrets import seal
from webhooks import signing
from webhooks.endpoints import KINDS, TEST_KIND
from webhooks.messages import test_message

_INVALID = "invalid_webhook_endpoint"
MESSAGE_STATUSES = ("pending", "delivered", "failed")


def endpoint_json(row: dict[str, Any], counts: dict[tuple[str, str], int] | None = None) -> dict[str, Any]:
    found = {
        "id": row["id"],
        "url": row["url"],
        "description": row["description"],
        "kinds": list(row["kinds"] or []),
        "test": bool(row["test"]),
        "status": row["status"],
        "disabledReason": row["disabled_reason"],
        "failingSince": row["failing_since"],
        "previousSecretValidUntil": row["previous_expires_at"] if row["previous_secret"] else None,
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }
    if counts is not None:
        found["messages"] = {s: counts.get((row["id"], s), 0) for s in MESSAGE_STATUSES}
    return found


def _started(row: dict[str, Any]) -> int:
    """The attempts begun: those since "Send again", and those before."""
    return int(row["attempts"]) + int(row.get("earlier_attempts") or 0)


def message_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "messageId": row["message_id"],
        "endpointId": row["endpoint_id"],
        "kind": row["kind"],
        "status": row["status"],
        "attempts": row["attempts"],
        # Being sent right now: claimed by a delivery worker, its attempt not over yet.
        "sending": row["status"] == "pending" and _started(row) > row.get("recorded", _started(row)),
        "nextAttemptAt": row["next_attempt_at"] if row["status"] == "pending" else None,
        "createdAt": row["created_at"],
        "deliveredAt": row["delivered_at"],
        "lastStatusCode": row["last_status_code"],
        "lastError": row["last_error"],
        "test": bool(row["test"]),
        "payload": json.loads(row["payload"]),
    }


def attempt_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "at": row["attempted_at"],
        "statusCode": row["status_code"],
        "latencyMs": row["latency_ms"],
        "responseExcerpt": row["response_excerpt"],
        "error": row["error"],
    }


async def _endpoint_or_404(conn: Any, endpoint_id: str) -> dict[str, Any]:
    row = await store.get_endpoint(conn, endpoint_id)
    if row is None:
        raise NotFound(
            f"no webhook endpoint {endpoint_id!r}; GET /api/webhook-endpoints lists them",
            code="unknown_webhook_endpoint",
        )
    return row


async def list_endpoints(request: Request) -> Response:
    async with db_of(request).read() as conn:
        rows = await store.list_endpoints(conn)
        counts = await store.message_counts(conn)
    return JSON({"items": [endpoint_json(r, counts) for r in rows], "kinds": KINDS})


async def create_endpoint(request: Request) -> Response:
    given = every(read_input(WebhookEndpointInput, await read_json(request), code=_INVALID))
    now = datetime.now(UTC)
    secret = signing.new_secret()
    row = {
        "id": "we_" + secrets.token_hex(8),
        **given,
        "disabled_reason": None,
        "secret": seal(secret),
        "previous_secret": None,
        "previous_expires_at": None,
        "failing_since": None,
        "created_at": now,
        "updated_at": now,
    }
    async with db_of(request).write() as conn:
        await store.insert_endpoint(conn, row)
    # The secret is shown now and after each rotation; it is kept sealed.
    return JSON({**endpoint_json(row, {}), "secret": secret}, status_code=201)


async def get_endpoint(request: Request) -> Response:
    async with db_of(request).read() as conn:
        row = await _endpoint_or_404(conn, request.path_params["endpoint_id"])
        counts = await store.message_counts(conn, row["id"])
    return JSON(endpoint_json(row, counts))


async def update_endpoint(request: Request) -> Response:
    changes = sent(read_input(WebhookEndpointPatch, await read_json(request), code=_INVALID))
    endpoint_id = request.path_params["endpoint_id"]
    now = datetime.now(UTC)
    async with db_of(request).write() as conn:
        before = await _endpoint_or_404(conn, endpoint_id)
        values: dict[str, Any] = {**changes, "updated_at": now}
        if values.get("status") == "enabled" and before["status"] != "enabled":
            values.update(disabled_reason=None, failing_since=None)
        await store.update_endpoint(conn, endpoint_id, values)
        row = await _endpoint_or_404(conn, endpoint_id)
        counts = await store.message_counts(conn, endpoint_id)
    wake(db_of(request))
    return JSON(endpoint_json(row, counts))


async def delete_endpoint(request: Request) -> Response:
    async with db_of(request).write() as conn:
        if not await store.delete_endpoint(conn, request.path_params["endpoint_id"]):
            await _endpoint_or_404(conn, request.path_params["endpoint_id"])
    return Response(status_code=204)


async def rotate_secret(request: Request) -> Response:
    """A new secret; the previous one keeps signing (beside it) for `keepPreviousSeconds`."""
    keep = read_input(SecretRotation, await read_json_or_empty(request), code=_INVALID).keep_previous_seconds
    endpoint_id = request.path_params["endpoint_id"]
    now = datetime.now(UTC)
    secret = signing.new_secret()
    async with db_of(request).write() as conn:
        before = await _endpoint_or_404(conn, endpoint_id)
        await store.update_endpoint(
            conn,
            endpoint_id,
            {
                "secret": seal(secret),
                "previous_secret": before["secret"] if keep else None,
                "previous_expires_at": now + timedelta(seconds=keep) if keep else None,
                "updated_at": now,
            },
        )
        row = await _endpoint_or_404(conn, endpoint_id)
    return JSON({**endpoint_json(row), "secret": secret})


async def send_test(request: Request) -> Response:
    """A `webhook.test` message to this endpoint alone, delivered like any other."""
    endpoint_id = request.path_params["endpoint_id"]
    db = db_of(request)
    async with db.write() as conn:
        row = await _endpoint_or_404(conn, endpoint_id)
        outgoing = test_message(endpoint_id, test=bool(row["test"]), at=datetime.now(UTC))
        row_id = await store.enqueue_for(conn, endpoint_id, outgoing)
        created = await store.get_message(conn, row_id)
    assert created is not None
    wake(db)
    note = None if row["status"] == "enabled" else "the endpoint is disabled: it goes out once it is enabled"
    return JSON({**message_json(created), "note": note}, status_code=202)


async def list_messages(request: Request) -> Response:
    """The endpoint's messages, newest first: ?status=pending|delivered|failed, ?limit=, ?before=."""
    endpoint_id = request.path_params["endpoint_id"]
    status = request.query_params.get("status") or None
    if status is not None and status not in MESSAGE_STATUSES:
        raise InvalidInput(
            f"status: {status!r} is not one of {', '.join(MESSAGE_STATUSES)}", code="invalid_parameter"
        )
    limit = int_param(request, "limit", 50, minimum=1, maximum=500)
    raw_before = request.query_params.get("before")
    before = int_param(request, "before", 0, minimum=1, maximum=MAX_ID) if raw_before else None
    async with db_of(request).read() as conn:
        await _endpoint_or_404(conn, endpoint_id)
        rows = await store.list_messages(conn, endpoint_id, status=status, limit=limit, before=before)
    return JSON(page([message_json(r) for r in rows], limit))


async def _message_or_404(conn: Any, request: Request) -> dict[str, Any]:
    row_id = path_id(request, "message_id", "webhook message", code="unknown_webhook_message")
    row = await store.get_message(conn, row_id)
    if row is None:
        raise NotFound(f"no webhook message {row_id}", code="unknown_webhook_message")
    return row


async def get_message(request: Request) -> Response:
    async with db_of(request).read() as conn:
        row = await _message_or_404(conn, request)
        tried = await store.attempts_of(conn, row["id"])
    return JSON({**message_json(row), "attemptLog": [attempt_json(a) for a in tried]})


async def redeliver(request: Request) -> Response:
    """Send again now (the same webhook-id and body), with a fresh retry schedule."""
    db = db_of(request)
    async with db.write() as conn:
        row = await _message_or_404(conn, request)
        await store.redeliver(conn, row["id"], datetime.now(UTC))
        again = await store.get_message(conn, row["id"])
    assert again is not None
    wake(db)
    return JSON(message_json(again), status_code=202)


ROUTES = [
    Route("/api/webhook-endpoints", list_endpoints, methods=["GET"]),
    Route("/api/webhook-endpoints", create_endpoint, methods=["POST"]),
    Route("/api/webhook-endpoints/{endpoint_id}", get_endpoint, methods=["GET"]),
    Route("/api/webhook-endpoints/{endpoint_id}", update_endpoint, methods=["PATCH"]),
    Route("/api/webhook-endpoints/{endpoint_id}", delete_endpoint, methods=["DELETE"]),
    Route("/api/webhook-endpoints/{endpoint_id}/rotate-secret", rotate_secret, methods=["POST"]),
    Route("/api/webhook-endpoints/{endpoint_id}/test", send_test, methods=["POST"]),
    Route("/api/webhook-endpoints/{endpoint_id}/messages", list_messages, methods=["GET"]),
    Route("/api/webhook-messages/{message_id}", get_message, methods=["GET"]),
    Route("/api/webhook-messages/{message_id}/redeliver", redeliver, methods=["POST"]),
]

__all__ = ["ROUTES", "TEST_KIND"]
