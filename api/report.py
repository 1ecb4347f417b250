"""`POST /events`: a member's app or a back-office system reports an event directly.

- A **public** event type is reported by the member themself, with their access token
  (`Authorization: Bearer mbr_…`, issued by `POST /api/members/{id}/tokens`): the subject is the
  token's member, and naming another is refused.
- A **private** event type is reported by a system holding the type's secret (`X-Event-Secret`),
  which names the subject: `{"memberId": 12}` or `{"kind": "default", "value": "ann@example.com"}`.
- An **intrinsic** type is reported by Inbound only (REGISTERED_ACCOUNT): refused here.

An identical event (same type, subject and payload) within the duplicate window (60 s) is a 409
naming the first one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import event_types
from api.http import JSON, check_text, db_of, path_id, read_json, settings_of
from api.member_tokens import token_id_of
from api.models.reports import ManualEventInput, ReportedEventInput
from api.validation import read_input
from earning_rules.validate import timestamp_to_json
from errors import AuthenticationFailed, Conflict, Forbidden, InboundError, InvalidInput, NotFound
from mapping.identity import normalise_identity
from mapping.timestamps import normalise_timestamp
from pipeline.report import report
from storage import members
from storage.event_types import get_event_type, secret_matches

SECRET_HEADER = "x-event-secret"


class EventRejected(InvalidInput):
    """Stored, but not processed: rejected by its event type (schema, date bounds), or failed."""

    code = "event_rejected"


async def report_event(request: Request) -> Response:
    data = read_input(ReportedEventInput, await read_json(request), code="invalid_event")
    name = data.type
    db = db_of(request)
    async with db.read() as conn:
        type_row = await get_event_type(conn, name)
        if type_row is None:
            raise NotFound(
                f"type: {name[:128]!r} is not an event type; see GET /api/event-types",
                code="unknown_event_type",
            )
        subject = await _subject(conn, request, type_row, data.subject)
    event = _event(data, name, subject[0], subject[1])
    test = data.test
    request_id, result = await report(
        db,
        settings_of(request),
        event,
        received_at=datetime.now(UTC),
        headers={"user-agent": request.headers.get("user-agent", "")[:200]},
        credential=subject[2],
        test=test,
    )
    return _answer(request_id, result, test)


async def _subject(conn: Any, request: Request, type_row: dict[str, Any], given: Any) -> tuple[str, str, str]:
    """(kind, value, what authenticated it) of the member the event is about."""
    name, reporting = type_row["name"], type_row["reporting"]
    if reporting == event_types.INTRINSIC:
        raise Forbidden(
            f"type: {name!r} is reported by Inbound itself (when a member registers, …); it cannot be "
            "reported through the API",
            code="intrinsic_event_type",
        )
    if reporting == "connectors":
        how = (
            "create a custom event type that is public or private (POST /api/event-types)"
            if type_row["builtin"]
            else f'an admin makes it public or private (PUT /api/event-types/{name} with "reporting")'
        )
        raise Forbidden(
            f"type: {name!r} is sent by connectors only; to report events directly, {how}",
            code="not_reportable",
        )
    if reporting == "public":
        token = request.headers.get("authorization", "")
        scheme, _, value = token.partition(" ")
        token_id = token_id_of(value.strip()) if scheme.lower() == "bearer" else None
        if token_id is None and scheme.lower() == "bearer" and value.strip():
            raise AuthenticationFailed(
                "the member's access token is not valid (not one Inbound issued, or altered)",
                code="invalid_member_token",
            )
        if token_id is None:
            raise AuthenticationFailed(
                f"a public event ({name!r}) needs the member's access token: Authorization: Bearer mbr_…",
                code="invalid_member_token",
            )
        row = await members.token_by_id(conn, token_id)
        now = datetime.now(UTC)
        if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
            why = "revoked" if row and row["revoked_at"] else "expired" if row else "unknown"
            raise AuthenticationFailed(f"the member's access token is {why}", code="invalid_member_token")
        member = await members.member_by_id(conn, row["profile_id"])
        if member is None:
            raise AuthenticationFailed("the member's access token is unknown", code="invalid_member_token")
        if given is not None and _names_other(given, member):
            raise AuthenticationFailed(
                f"subject: this token is member {member['id']}'s, and a public event is about the member "
                "whose token reports it; leave subject out",
                code="invalid_member_token",
            )
        return member["kind"], member["value"], token_id
    # private
    secret = request.headers.get(SECRET_HEADER, "")
    if not secret_matches(type_row, secret):
        raise AuthenticationFailed(
            f"a private event ({name!r}) needs its event type's secret in X-Event-Secret"
            + (": this one does not match" if secret else ""),
            code="invalid_event_secret",
        )
    if given is None:
        raise InvalidInput(
            'subject: required for a private event: {"memberId": 12} or {"kind": "default", "value": …}',
            code="invalid_event",
        )
    if isinstance(given, dict) and set(given) == {"memberId"}:
        member_id = given["memberId"]
        member = await members.member_by_id(conn, member_id) if isinstance(member_id, int) else None
        if member is None:
            raise NotFound(f"subject.memberId: no member {member_id!r}", code="unknown_member")
        return member["kind"], member["value"], "secret"
    if isinstance(given, dict) and set(given) <= {"kind", "value"} and isinstance(given.get("value"), str):
        kind = given.get("kind", "default")
        if not isinstance(kind, str) or not given["value"].strip():
            raise InvalidInput("subject: kind and value must be non-empty text", code="invalid_event")
        check_text("subject.kind", kind, code="invalid_event")
        check_text("subject.value", given["value"], code="invalid_event")
        kind, value = normalise_identity(kind, given["value"])
        return kind, value, "secret"
    raise InvalidInput(
        'subject: expected {"memberId": 12} or {"kind": "default", "value": "ann@example.com"}',
        code="invalid_event",
    )


def _event(data: ManualEventInput, name: str, kind: str, value: str) -> dict[str, Any]:
    event: dict[str, Any] = {"type": name, "subject": {"kind": kind, "value": value}}
    event["payload"] = data.payload.parts()
    if data.occurred_at is not None:
        try:
            moment = normalise_timestamp(data.occurred_at, path="occurredAt")
        except InboundError as exc:
            raise InvalidInput(exc.message, code="invalid_event") from None
        event["occurredAt"] = timestamp_to_json(moment)
    return event


async def report_for_member(request: Request) -> Response:
    """An admin reports a public or private event about a member by hand (the console's form):
    no member token or type secret, the admin key is the authority; everything else as /events."""
    member_id = path_id(request, "member_id", "member", code="unknown_member")
    data = read_input(ManualEventInput, await read_json(request), code="invalid_event")
    name = data.type
    db = db_of(request)
    async with db.read() as conn:
        type_row = await get_event_type(conn, name)
        member = await members.member_by_id(conn, member_id)
    if type_row is None:
        raise NotFound(f"type: {name[:128]!r} is not an event type", code="unknown_event_type")
    if member is None or member["merged_into"] is not None:
        raise NotFound(f"no member {member_id}", code="unknown_member")
    if type_row["reporting"] not in ("public", "private"):
        raise Forbidden(
            f"type: {name!r} is {type_row['reporting']}: only public and private event types are "
            "reported by hand",
            code="not_reportable",
        )
    event = _event(data, name, member["kind"], member["value"])
    test = data.test
    request_id, result = await report(
        db, settings_of(request), event, received_at=datetime.now(UTC), credential="admin", test=test
    )
    return _answer(request_id, result, test)


def _names_other(given: Any, member: dict[str, Any]) -> bool:
    if isinstance(given, dict) and set(given) == {"memberId"}:
        return given["memberId"] != member["id"]
    if isinstance(given, dict) and isinstance(given.get("value"), str):
        kind, value = normalise_identity(str(given.get("kind", "default")), given["value"])
        return (kind, value) != (member["kind"], member["value"])
    return True


def _answer(request_id: str, result: dict[str, Any], test: bool = False) -> Response:
    status = result["status"]
    body = {"requestId": request_id, "test": test, **result}
    if status == "processed":
        return JSON(body, status_code=201, headers={"X-Request-Id": request_id})
    if status == "duplicate":
        first = result.get("duplicateOf") or (result.get("first") or {}).get("eventId")
        raise Conflict(
            f"an identical event (event {first}) was received less than a minute ago: not counted again",
            code="event_already_exists",
            details={"eventId": first, "requestId": request_id},
        )
    raise EventRejected(
        f"event {result.get('eventId')} was {status}: {result.get('reason')}",
        details={"eventId": result.get("eventId"), "status": status, "requestId": request_id},
    )


async def report_intrinsic(
    request: Request, name: str, member_id: int, kind: str, value: str, at: datetime
) -> dict[str, Any]:
    """Inbound reports one of its own events about a member (REGISTERED_ACCOUNT, …): processed
    like any other, so earning rules listen to it. Its result, for the answer that caused it."""
    event = {"type": name, "subject": {"kind": kind, "value": value}, "occurredAt": timestamp_to_json(at)}
    request_id, result = await report(
        db_of(request), settings_of(request), event, received_at=at, credential="inbound"
    )
    return {
        "type": name,
        "requestId": request_id,
        "eventId": result.get("eventId"),
        "status": result["status"],
        "awards": result.get("awards", []),
        "balance": result.get("balance"),
    }
