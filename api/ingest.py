"""POST/GET /ingest/{connector_id}: where senders deliver events; CORS for browser senders."""

from __future__ import annotations

import base64
import re
import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from api.http import JSON, db_of, settings_of
from api.rate_limits import IngestLimits
from connectors.auth import Credential, HubSignatureSettings
from connectors.bodies import collect_fields, unquote_text
from connectors.credentials import refuse
from connectors.encodings import decode_content
from connectors.signatures import replay_key
from errors import (
    AuthenticationFailed,
    Forbidden,
    InboundError,
    MalformedBody,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    UnsupportedMediaType,
    status_of,
)
from pipeline import metrics
from pipeline.context import ConnectorSnapshot, IngestRequest, new_request_id
from pipeline.receive import AfterAuth, receive, record_refusal
from pipeline.snapshot import UnknownConnector, load_for_ingest
from storage.database import Database


async def read_capped_body(request: Request, limit: int) -> bytes:
    """The body, refusing (413) as soon as it is known to be larger than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"body is {int(declared)} bytes; at most {limit} bytes are accepted", body_bytes=int(declared)
        )
    chunks: list[bytes] = []
    size = 0
    while True:  # the ASGI messages themselves: Request.stream's generator cost ~1 % of a request
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body is larger than {limit} bytes, the most accepted", body_bytes=size)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _allowed_origin(db: Database, request: Request, connector_id: str) -> str | None:
    if "origin" not in request.headers:  # not a browser: no CORS headers (and no refusal to build)
        return None
    try:
        return await _check_origin(db, request, connector_id)
    except InboundError:
        return None


async def _check_origin(db: Database, request: Request, connector_id: str) -> str:
    """The Access-Control-Allow-Origin to answer with, or why there is none (403/404)."""
    origin = request.headers.get("origin")
    if not origin:
        raise Forbidden(
            "no Origin header: a CORS preflight comes from a browser, which always sends one",
            code="cors_origin_missing",
        )
    snapshot, _judging = await load_for_ingest(db, settings_of(request), connector_id)  # NotFound: 404
    allowed = snapshot.row["allowed_origins"] or []
    if "*" in allowed:
        return "*"
    if origin.lower() not in allowed:
        raise Forbidden(
            f"origin {origin!r} is not in this connector's allowedOrigins", code="cors_origin_not_allowed"
        )
    return origin


def _query(request: Request) -> dict[str, Any]:
    """The query string, decoded strictly: a repeated parameter keeps all its values as a list, and
    bytes that are not UTF-8 (or a NUL) are a 400 naming the parameter, never silently replaced."""
    raw = request.scope.get("query_string", b"").decode("latin-1")
    pairs = []
    for pair in raw.split("&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition("=")
        name = unquote_text(raw_name, f"query parameter name {raw_name!r}")
        pairs.append((name, unquote_text(raw_value, f"query parameter {name!r}")))
    return collect_fields(pairs)


def _cors_headers(origin: str | None) -> dict[str, str]:
    if origin is None:
        return {}
    headers = {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": "X-Request-Id"}
    if origin != "*":
        headers["Vary"] = "Origin"
        # sendBeacon and fetch(…, {credentials: "include"}) send cookies: without this the browser
        # drops the answer (and, after a preflight, never sends the POST). Never with "*" (CORS).
        headers["Access-Control-Allow-Credentials"] = "true"
    return headers


# The smallest transparent GIF: what a tracking pixel (<img src=…>) expects back.
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _wants_pixel(request: Request) -> bool:
    """A GET from an <img>: the browser asks for an image, and would block JSON (ORB), firing the
    pixel's onerror. A client that asks for JSON (or anything, like curl) gets the JSON answer."""
    if request.method != "GET":
        return False
    if request.headers.get("sec-fetch-dest") == "image":
        return True
    accept = request.headers.get("accept", "").lower()
    return "image/" in accept and "application/json" not in accept


# The paths CDP SDKs post to, after the host they are given (the connector's URL):
# Segment-compatible SDKs (Segment, RudderStack) /v1/{call}; Jitsu /api/s/{type}, /api/s/s2s/{type}.
SEGMENT_CALLS = ("batch", "track", "identify", "page", "screen", "group", "alias")
_JITSU_TYPE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def sdk_path(request: Request) -> str:
    """The SDK path after the connector's URL ("/v1/batch"), "" for the URL itself; 404 for a call
    no SDK makes (a typo must not reach the mapping as a new kind of call)."""
    call = request.path_params.get("call")
    if call is None:
        return ""
    prefix = f"/ingest/{request.path_params['connector_id']}"
    path = str(request.scope["path"])[len(prefix) :]
    if path.startswith("/v1/") and call not in SEGMENT_CALLS:
        raise NotFound(
            f"no SDK call {call!r} at {path}; Segment-compatible SDKs post to /v1/ + one of "
            + ", ".join(SEGMENT_CALLS),
            code="unknown_sdk_call",
        )
    if path.startswith("/api/s/") and not _JITSU_TYPE.fullmatch(call):
        raise NotFound(f"no SDK call {call!r} at {path}: not an event type", code="unknown_sdk_call")
    return path


async def ingest(request: Request) -> Response:
    connector_id = request.path_params["connector_id"]
    db, settings = db_of(request), settings_of(request)
    received_at = datetime.now(UTC)
    request_id = new_request_id()
    started = time.perf_counter()
    path = ""
    wire = b""
    limits: IngestLimits = request.app.state.limits
    address = request.client.host if request.client else "unknown"
    try:
        # A guesser waits before anything is read; a busy connector before its body is.
        await limits.check_address(address)
        await limits.check_connector(connector_id)
    except RateLimited as exc:
        metrics.record_request("limited", 429, "other", time.perf_counter() - started)
        headers = {"X-Request-Id": request_id, "Retry-After": str(exc.retry_after)}
        return JSON(exc.to_json(), status_code=429, headers=headers)
    try:
        try:
            path = sdk_path(request)
            query = _query(request)
            wire = await read_capped_body(request, settings.max_body_bytes)
            encoding = request.headers.get("content-encoding")
            body = decode_content(wire, encoding, limit=settings.max_body_bytes) if encoding else wire
        except (PayloadTooLarge, MalformedBody, UnsupportedMediaType, NotFound) as exc:
            # Logged too: a refused request is still a request the developer will want to see.
            refused = _request(request, connector_id, b"", received_at, {}, request_id)
            size = exc.body_bytes if isinstance(exc, PayloadTooLarge) and exc.body_bytes else len(wire)
            await record_refusal(db, refused, exc, body_bytes=size)
            raise
        query_string = request.scope.get("query_string", b"").decode("latin-1")
        url = f"{settings.base_url}{request.scope['path']}" + (f"?{query_string}" if query_string else "")
        ingest_request = _request(
            request,
            connector_id,
            body,
            received_at,
            query,
            request_id,
            path=path,
            url=url,
            wire_body=wire if body is not wire else None,
        )
        outcome = await receive(
            db, settings, ingest_request, after_auth=_replay_check(limits, ingest_request)
        )
    except InboundError as exc:
        if isinstance(exc, (AuthenticationFailed, UnknownConnector)):
            await limits.count_refusal(address)
        label = "unknown" if isinstance(exc, (UnknownConnector, NotFound)) else connector_id
        auth = "refused" if isinstance(exc, AuthenticationFailed) else "other"
        metrics.record_request(label, status_of(exc), auth, time.perf_counter() - started)
        # Refusals (400, 401, 404, 413, 415 …) carry the CORS headers and the request id too, or
        # a browser sender could not read why its request failed, nor find it in the log.
        headers = {"X-Request-Id": request_id}
        headers.update(_cors_headers(await _allowed_origin(db, request, connector_id)))
        return JSON(exc.to_json(), status_code=status_of(exc), headers=headers)
    metrics.record_request(connector_id, 200, "accepted", time.perf_counter() - started)
    metrics.record_results(connector_id, outcome.results)
    headers = {"X-Request-Id": outcome.request_id}
    headers.update(_cors_headers(await _allowed_origin(db, request, connector_id)))
    if _wants_pixel(request):
        headers["Cache-Control"] = "no-store"  # every view must reach Inbound again
        return Response(PIXEL_GIF, media_type="image/gif", headers=headers)
    return JSON(outcome.to_json(), headers=headers)


def _replay_check(limits: IngestLimits, request: IngestRequest) -> AfterAuth:
    """Refuse a signed request seen before within its tolerance window (a captured delivery sent
    again): its signature is valid and its timestamp fresh, so only memory can tell."""

    async def check(snapshot: ConnectorSnapshot, credential: Credential) -> None:
        if not isinstance(snapshot.auth, HubSignatureSettings):
            return
        found = replay_key(snapshot.auth, request.headers)
        if found is not None and not await limits.first_use(snapshot.id, *found):
            raise refuse(
                "replayed_signature",
                f"this signed request was already received within the last {found[1]} s "
                "(the same signature or message id): a replay is refused",
            )

    return check


def _request(
    request: Request,
    connector_id: str,
    body: bytes,
    received_at: datetime,
    query: dict[str, Any],
    request_id: str,
    **more: Any,
) -> IngestRequest:
    return IngestRequest(
        connector_id=connector_id,
        method=request.method,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=query,
        body=body,
        content_type=request.headers.get("content-type"),
        received_at=received_at,
        request_id=request_id,
        **more,
    )


async def preflight(request: Request) -> Response:
    """Answer a browser's CORS preflight for connectors that allow the asking origin."""
    connector_id = request.path_params["connector_id"]
    db = db_of(request)
    try:
        origin = await _check_origin(db, request, connector_id)
    except InboundError as exc:
        # A refused preflight means the browser never sends the event: log it, so the developer
        # sees why a tag's events never arrive (the request log, refused=true).
        request_id = new_request_id()
        refused = _request(request, connector_id, b"", datetime.now(UTC), {}, request_id)
        await record_refusal(db, refused, exc)
        return JSON(exc.to_json(), status_code=status_of(exc), headers={"X-Request-Id": request_id})
    headers = _cors_headers(origin)
    headers.update(
        {
            "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
            "Access-Control-Allow-Headers": request.headers.get(
                "access-control-request-headers", "Content-Type"
            ),
            "Access-Control-Max-Age": "600",
        }
    )
    return Response(status_code=204, headers=headers)
