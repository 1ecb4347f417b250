"""Admin API for the request log, the event log and the admin log: list with filters, page, read one."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.http import (
    JSON,
    MAX_ID,
    bool_param,
    choice_param,
    db_of,
    int_param,
    page,
    path_id,
    text_param,
    time_param,
    whole_number,
)
from errors import InvalidInput, NotFound
from storage import events as event_store
from storage import logs

EVENT_STATUSES = ("processed", "duplicate", "ignored", "parked", "skipped", "rejected", "failed")
# What writes the admin log: storage.purge (a purge of test data) and pipeline.replay (an applied replay).
ADMIN_ACTIONS = ("purge_test_data", "replay")


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
    if "profile_kind" in row:  # the list: who the member is, at a glance
        known = row["profile_kind"] is not None
        body["profile"] = {"kind": row["profile_kind"], "value": row["profile_value"]} if known else None
    if full:
        body.update(raw=row["raw"], mapped=row["mapped"], trace=row["trace"])
    return body


_STATUS_CODE = re.compile(r"[1-5][0-9][0-9]")  # ASCII digits only: "²²²" passes str.isdigit()
_REQUEST_ID = re.compile(r"req_[0-9a-f]{1,64}")  # see pipeline.context.new_request_id


def _filter(request: Request, *, events: bool) -> logs.LogFilter:
    profile = request.query_params.get("profile")
    profile_id = whole_number(profile) if profile else None
    if profile and (profile_id is None or not 0 <= profile_id <= MAX_ID):
        raise InvalidInput(f"profile: {profile!r} is not a profile id", code="invalid_parameter")
    status: str | None
    if events:
        status = choice_param(request, "status", EVENT_STATUSES)
    else:
        status = request.query_params.get("status") or None
        if status is not None and not _STATUS_CODE.fullmatch(status):
            raise InvalidInput(
                f"status: {status!r} is not an HTTP status code such as 401", code="invalid_parameter"
            )
    before: str | int | None = request.query_params.get("before") or None
    if events and before is not None:
        before = int_param(request, "before", 0, minimum=1, maximum=MAX_ID)
    elif before is not None and not _REQUEST_ID.fullmatch(str(before)):
        # A tampered cursor must not quietly restart at the first page.
        raise InvalidInput(
            f"before: {before!r} is not a request id cursor (the `next` of the previous page)",
            code="invalid_parameter",
        )
    return logs.LogFilter(
        connector_id=text_param(request, "connector"),
        status=status,
        profile_id=profile_id,
        request_id=text_param(request, "request"),
        since=time_param(request, "since"),
        until=time_param(request, "until"),
        test=bool_param(request, "test"),
        limit=int_param(request, "limit", 50, minimum=1, maximum=500),
        before=before,
        refused=None if events else bool_param(request, "refused"),
        error_code=None if events else text_param(request, "error"),
    )


async def list_requests(request: Request) -> Response:
    f = _filter(request, events=False)
    async with db_of(request).read() as conn:
        rows = await logs.list_requests(conn, f)
    return JSON(page([request_json(r) for r in rows], f.limit))


async def get_request(request: Request) -> Response:
    async with db_of(request).read() as conn:
        request_id = request.path_params["request_id"]
        row = await logs.get_request(conn, request_id)  # no NUL: api/path_guard.py refuses it
        if row is None:
            raise NotFound(f"no request {request.path_params['request_id']!r}", code="unknown_request")
        events = await logs.list_events(conn, logs.LogFilter(request_id=row["id"], limit=10_000))
    body = request_json(row)
    # What the mapping saw as $headers and $query, credentials already left out when logged
    # (pipeline.redaction); null for a request refused before its connector was known.
    body["headers"], body["query"] = row["headers"], row["query"]
    body["events"] = [event_json(e, full=False) for e in reversed(events)]
    return JSON(body)


async def list_events(request: Request) -> Response:
    f = _filter(request, events=True)
    full = bool_param(request, "full") or False
    async with db_of(request).read() as conn:
        rows = await logs.list_events(conn, f)
    return JSON(page([event_json(r, full=full) for r in rows], f.limit))


async def get_event(request: Request) -> Response:
    event_id = path_id(request, "event_id", "event", code="unknown_event")
    async with db_of(request).read() as conn:
        row = await event_store.get_event(conn, event_id)
    if row is None:
        raise NotFound(f"no event {event_id}", code="unknown_event")
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
            connector_id=text_param(request, "connector"),
            action=choice_param(request, "action", ADMIN_ACTIONS),
            limit=limit,
            before=before,
        )
    return JSON(page([admin_log_json(r) for r in rows], limit))
