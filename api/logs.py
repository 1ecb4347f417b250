"""Admin API for the request log, the event log and the admin log: list with filters, page, read one."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.http import JSON, bool_param, choice_param, db_of, int_param, page, time_param
from errors import InvalidInput, NotFound
from storage import events as event_store
from storage import logs

EVENT_STATUSES = ("processed", "duplicate", "ignored", "rejected", "failed")
MAX_ID = 2**63 - 1  # ids are 64-bit: a bigger cursor is bad input, not a database error


def request_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "connectorId": row["connector_id"],
        "receivedAt": row["received_at"],
        "method": row["method"],
        "statusCode": row["status_code"],
        "auth": {
            "outcome": row["auth_outcome"],
            "reason": row["auth_reason"],
            "credentialId": row["credential_id"],
        },
        "test": row["test"],
        "contentType": row["content_type"],
        "bodyBytes": row["body_bytes"],
        "error": {"code": row["error_code"], "message": row["error_message"]} if row["error_code"] else None,
        "counts": row["counts"],
        "durationMs": row["duration_ms"],
    }


def event_json(row: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
    body = {
        "id": row["id"],
        "requestId": row["request_id"],
        "connectorId": row["connector_id"],
        "index": row["index"],
        "subIndex": row["sub_index"],
        "clientEventId": row["client_event_id"],
        "eventType": row["event_type"],
        "status": row["status"],
        "reason": row["reason"],
        "duplicateOf": row["duplicate_of"],
        "profileId": row["profile_id"],
        "mappingVersion": row["mapping_version"],
        "replayOf": row["replay_of"],
        "reversesEventId": row.get("reverses_event_id"),
        "test": row["test"],
        "occurredAt": row["occurred_at"],
        "receivedAt": row["received_at"],
    }
    if full:
        body.update(raw=row["raw"], mapped=row["mapped"], trace=row["trace"])
    return body


def _filter(request: Request, *, events: bool) -> logs.LogFilter:
    profile = request.query_params.get("profile")
    if profile is not None and not (profile.isdigit() and int(profile) <= MAX_ID):
        raise InvalidInput(f"profile: {profile!r} is not a profile id", code="invalid_parameter")
    status: str | None
    if events:
        status = choice_param(request, "status", EVENT_STATUSES)
    else:
        status = request.query_params.get("status") or None
        if status is not None and not (status.isdigit() and len(status) == 3):
            raise InvalidInput(
                f"status: {status!r} is not an HTTP status code such as 401", code="invalid_parameter"
            )
    before: str | int | None = request.query_params.get("before") or None
    if events and before is not None:
        before = int_param(request, "before", 0, minimum=1, maximum=MAX_ID)
    return logs.LogFilter(
        connector_id=request.query_params.get("connector") or None,
        status=status,
        profile_id=int(profile) if profile else None,
        request_id=request.query_params.get("request") or None,
        since=time_param(request, "since"),
        until=time_param(request, "until"),
        test=bool_param(request, "test"),
        limit=int_param(request, "limit", 50, minimum=1, maximum=500),
        before=before,
    )


async def list_requests(request: Request) -> Response:
    f = _filter(request, events=False)
    async with db_of(request).read() as conn:
        rows = await logs.list_requests(conn, f)
    return JSON(page([request_json(r) for r in rows], f.limit))


async def get_request(request: Request) -> Response:
    async with db_of(request).read() as conn:
        row = await logs.get_request(conn, request.path_params["request_id"])
        if row is None:
            raise NotFound(f"no request {request.path_params['request_id']!r}", code="unknown_request")
        events = await logs.list_events(conn, logs.LogFilter(request_id=row["id"], limit=10_000))
    body = request_json(row)
    body["events"] = [event_json(e, full=False) for e in reversed(events)]
    return JSON(body)


async def list_events(request: Request) -> Response:
    f = _filter(request, events=True)
    full = bool_param(request, "full") or False
    async with db_of(request).read() as conn:
        rows = await logs.list_events(conn, f)
    return JSON(page([event_json(r, full=full) for r in rows], f.limit))


async def get_event(request: Request) -> Response:
    raw_id = request.path_params["event_id"]
    if not raw_id.isdigit():
        raise InvalidInput(f"event id: {raw_id!r} is not a number", code="invalid_parameter")
    async with db_of(request).read() as conn:
        row = await event_store.get_event(conn, int(raw_id))
    if row is None:
        raise NotFound(f"no event {raw_id}", code="unknown_event")
    return JSON(event_json(row))


def admin_log_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "action": row["action"],
        "connectorId": row["connector_id"],
        "details": row["details"],
        "createdAt": row["created_at"],
    }


async def list_admin_log(request: Request) -> Response:
    """What admins did in bulk (purges, replays), newest first."""
    limit = int_param(request, "limit", 50, minimum=1, maximum=500)
    before = (
        int_param(request, "before", 0, minimum=1, maximum=MAX_ID)
        if request.query_params.get("before")
        else None
    )
    async with db_of(request).read() as conn:
        rows = await logs.list_admin_log(
            conn,
            connector_id=request.query_params.get("connector") or None,
            action=request.query_params.get("action") or None,
            limit=limit,
            before=before,
        )
    return JSON(page([admin_log_json(r) for r in rows], limit))
