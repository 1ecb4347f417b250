"""A request to a connector from the first byte to the logged response: the ingest spine.

live, test and dry run share this one path; a dry run rolls its transaction back at the end,
so it shows exactly what live would have done and writes nothing.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.auth import Credential, authenticate
from connectors.bodies import parse_body, parse_query_event
from errors import (
    AuthenticationFailed,
    Forbidden,
    InboundError,
    MappingError,
    MethodNotAllowed,
    status_of,
)
from mapping.isolation import map_isolated
from mapping.raw_events import map_raw_events
from pipeline.batch import chunks, process_chunk, run_chunk, run_chunk_with
from pipeline.context import ConnectorSnapshot, IngestRequest, Mode, RunContext, WorkItem
from pipeline.enhance import enhanced_items
from pipeline.group_plan import Job, runs_by_path
from pipeline.group_writer import writer_of
from pipeline.map_runner import run_mapping
from pipeline.redaction import mask_body_credentials, redact
from pipeline.snapshot import (
    Judging,
    UnknownConnector,
    connector_exists,
    date_bounds_of,
    load_for_ingest,
    read_judging,
)
from pipeline.snapshot import load_snapshot as load_snapshot  # re-exported: api/testing
from pipeline.snapshot import snapshot_of as snapshot_of
from settings import Settings
from storage import badges as badge_store
from storage import entries as entry_store
from storage import events as event_store
from storage.database import Connection, Database
from storage.logs import log_request, log_request_once


@dataclass
class IngestOutcome:
    request_id: str
    results: list[dict[str, Any]]
    credential: Credential | None = None
    test: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "test": self.test,
            "counts": self.counts,
            "results": self.results,
        }


@dataclass
class PendingLog:
    """A request's log row on its way: written with the last chunk's events when the request
    succeeds (one transaction fewer), else on its own in `receive`'s finally."""

    row: dict[str, Any]
    started: float
    written: bool = False

    def final_row(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            **self.row,
            "status_code": 200,
            "counts": counts_of(results),
            "duration_ms": round((time.perf_counter() - self.started) * 1000, 3),
        }


def counts_of(results: list[dict[str, Any]]) -> dict[str, int]:
    return dict(Tally(r["status"] for r in results))


def _map_all(
    snapshot: ConnectorSnapshot,
    request: IngestRequest,
    raw_events: list[Any],
    budget_ms: int | None = None,
    redacted: tuple[dict[str, str], dict[str, str]] | None = None,
) -> list[WorkItem]:
    """Map the request's raw events: inline within `budget_ms`, else (`None`) in a mapping worker
    process, where the evaluation's memory is bounded too (mapping/isolation.py). `redacted`: the
    request's headers and query as `redact` gives them, when the caller has them already."""
    # The mapping never sees the credentials, so it cannot copy them into stored events, and a
    # replay (which only has the kept headers and query) maps exactly as live did.
    if redacted is None:
        redacted = redact(snapshot.auth, request.headers, request.query, snapshot.secret_values)
    headers, query = redacted
    where: dict[str, Any] = {
        "headers": headers,
        "query": query,
        "connector": snapshot.binding(),
        "path": request.path,
    }
    if budget_ms is None:
        outcomes = map_isolated(snapshot.mapping, raw_events, **where)
    else:
        outcomes = map_raw_events(snapshot.mapping, raw_events, budget_ms=budget_ms, **where)
    items: list[WorkItem] = []
    for index, (raw, outcome) in enumerate(zip(raw_events, outcomes, strict=True)):
        if isinstance(outcome, MappingError):
            items.append(WorkItem(index, 0, raw, None, outcome))
        elif not outcome:
            empty = MappingError("the mapping returned no event for this item", code="mapping_empty")
            items.append(WorkItem(index, 0, raw, None, empty))
        for sub_index, one in enumerate(outcome if isinstance(outcome, list) else ()):
            if isinstance(one, MappingError):
                items.append(WorkItem(index, sub_index, raw, None, one))
            else:
                items.append(WorkItem(index, sub_index, raw, one, None))
    return items


async def run_events(
    db: Database,
    settings: Settings,
    snapshot: ConnectorSnapshot,
    request: IngestRequest,
    raw_events: list[Any],
    *,
    mode: Mode,
    rule_statuses: frozenset[str] = frozenset({"active"}),
    dry_run_as_test: bool = False,
    judging: Judging | None = None,
    log: PendingLog | None = None,
) -> list[dict[str, Any]]:
    """Map, then process the mapped events: a transaction per chunk, a savepoint per event (one
    transaction for all in a dry run). See pipeline/batch.py.

    `judging` is the event type and rules when the caller read them with the connector; `log`, the
    request's log row, is written in the last chunk's transaction (`log.written` says if it was).
    A dry run answers each result with its mapped event and full trace, read back from the
    event row it wrote, before the whole transaction is rolled back.
    """
    # Mapping is CPU work bounded by the mapping timeout: inline within a small budget, else on a
    # thread, so the event loop never waits long on it (pipeline/map_runner.py).
    # The log row holds them redacted already (receive): redacting is per request, not per mapping.
    redacted = (log.row["headers"], log.row["query"]) if log is not None and "headers" in log.row else None
    items = await run_mapping(
        snapshot.mapping,
        len(raw_events),
        lambda budget: _map_all(snapshot, request, raw_events, budget, redacted),
    )
    event_type = snapshot.row["event_type"]
    if judging is None:
        async with db.read() as conn:
            judging = await read_judging(conn, event_type, rule_statuses)
    ctx = RunContext(
        settings=settings,
        snapshot=snapshot,
        request=request,
        test=mode == "test" or (mode == "dry_run" and dry_run_as_test),
        event_type=event_type,
        schema=judging.schema,
        rules=judging.rules,
        rule_statuses=judging.rule_statuses,
        date_bounds=date_bounds_of(judging, settings),
        enhancers=judging.enhancers,
    )
    items = enhanced_items(items, judging.enhancers, request.received_at, settings.tz)
    results: list[dict[str, Any]] = []
    if mode == "dry_run":
        async with db.rolled_back() as conn:
            results = await process_chunk(conn, ctx, items)
            for result in results:
                row = await event_store.get_event(conn, result["eventId"])
                assert row is not None
                result.update(mapped=row["mapped"], trace=row["trace"])
            phantoms = await _phantom_ids(conn, results)
        return [_without_phantoms(r, phantoms) for r in results]
    return await _write_in_order(db, ctx, items, log)


async def _write_in_order(
    db: Database, ctx: RunContext, items: list[WorkItem], log: PendingLog | None
) -> list[dict[str, Any]]:
    """Each chunk committed before the next starts, through the group writer where it can go
    (pipeline/group_writer.py), else through the per-chunk path. The request's log row goes with
    the last chunk, whichever way that one goes."""
    parts = [(grouped, chunk) for grouped, run in runs_by_path(items) for chunk in chunks(run)]
    results: list[dict[str, Any]] = []
    for number, (grouped, chunk) in enumerate(parts):
        final = log.final_row if log is not None and number == len(parts) - 1 else None
        if grouped:
            done, written = await writer_of(db).write(Job(ctx, chunk, final, list(results)))
        elif final is not None:
            done, written = await run_chunk_with(db, ctx, chunk, _log_writer(final, list(results)))
        else:
            done, written = await run_chunk(db, ctx, chunk), False
        results.extend(done)
        if final is not None and log is not None:
            log.written = written
    return results


def _log_writer(
    final_row: Callable[[list[dict[str, Any]]], dict[str, Any]], earlier: list[dict[str, Any]]
) -> Callable[[Connection, list[dict[str, Any]]], Awaitable[None]]:
    async def write_log(conn: Connection, last: list[dict[str, Any]]) -> None:
        await log_request(conn, final_row(earlier + last))

    return write_log


# Where results and traces name rows, by kind; a dry run nulls the ids of the rows it rolled back.
_ID_KEYS = {
    "eventId": "events",
    "duplicateOf": "events",
    "reversedEvent": "events",
    "alreadyReversedBy": "events",
    "heldBy": "events",
    "entryId": "entries",
    "reversalEntryId": "entries",
    "reversesEntryId": "entries",
    "profileId": "profiles",
    "memberBadgeId": "badges",
    "messageId": "messages",
}


async def _phantom_ids(conn: Connection, results: list[dict[str, Any]]) -> dict[str, set[Any]]:
    """The ids of the rows this dry run wrote (and will roll back): none of them will exist."""
    event_ids = {r["eventId"] for r in results}
    profile_ids = {p["id"] for r in results if (p := r.get("profile")) and p.get("created")}
    entry_ids = {e["id"] for e in await entry_store.entries_of_events(conn, event_ids)}
    granted = await badge_store.granted_for_events(conn, event_ids)
    messages = set(_values_named(results, "messageId"))  # a dry run's messages are all rolled back
    return {
        "events": event_ids,
        "entries": entry_ids,
        "profiles": profile_ids,
        "badges": granted,
        "messages": messages,
    }


def _values_named(value: Any, name: str) -> list[Any]:
    if isinstance(value, list):
        return [found for v in value for found in _values_named(v, name)]
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == name] + _values_named(list(value.values()), name)
    return []


def _without_phantoms(value: Any, phantoms: dict[str, set[Any]], key: str | None = None) -> Any:
    if isinstance(value, list):
        return [_without_phantoms(v, phantoms) for v in value]
    if isinstance(value, dict):
        out = {k: _without_phantoms(v, phantoms, k) for k, v in value.items()}
        if key == "profile" and out.get("id") in phantoms["profiles"]:
            out["id"] = None
        return out
    kind = _ID_KEYS.get(key or "")
    if kind is not None and value in phantoms[kind]:
        return None
    return value


def _log_row(request: IngestRequest) -> dict[str, Any]:
    return {
        "id": request.request_id,
        "connector_id": request.connector_id[:64],
        "received_at": request.received_at,
        "method": request.method,
        "content_type": request.content_type,
        "body_bytes": len(request.body),
        "path": request.path or None,
        "auth_outcome": "not_checked",
        "counts": {},
    }


MAX_MESSAGE = 2000  # characters of an error message kept on a log row


async def record_refusal(
    db: Database, request: IngestRequest, exc: InboundError, *, body_bytes: int | None = None
) -> None:
    """Log a request refused before the pipeline saw it (a body over the size limit); one to a
    connector that does not exist is only counted. `body_bytes`: the size received on the wire,
    when the body itself is not kept (413: as declared, or as read before the refusal)."""
    if not await connector_exists(db, request.connector_id):
        db.unknown_connector_requests += 1
        return
    log = _log_row(request)
    if body_bytes is not None:
        log["body_bytes"] = body_bytes
    log.update(
        status_code=status_of(exc),
        error_code=exc.code,
        error_message=exc.message[:MAX_MESSAGE],
        duration_ms=0.0,
    )
    async with db.write() as conn:
        await log_request(conn, log)


AfterAuth = Callable[[ConnectorSnapshot, Credential], Awaitable[None]]


async def receive(
    db: Database, settings: Settings, request: IngestRequest, *, after_auth: AfterAuth | None = None
) -> IngestOutcome:
    """Authenticate, parse, map and process one request; log it whatever happens.

    `after_auth` runs once the request is authenticated, and may still refuse it (the replay
    check of signed requests, api/ingest.py) with AuthenticationFailed."""
    pending = PendingLog(_log_row(request), time.perf_counter())
    log = pending.row
    try:
        snapshot, judging = await load_for_ingest(db, settings, request.connector_id)
        # Kept for replay and samples (what the mapping sees as $headers and $query), never a credential.
        log["headers"], log["query"] = redact(
            snapshot.auth, request.headers, request.query, snapshot.secret_values
        )
        try:
            credential = authenticate(
                snapshot.auth,
                snapshot.credentials,
                headers=request.headers,
                query=request.query,
                body=request.signed_body,
                now=request.received_at.timestamp(),
                url=request.url,
                method=request.method,
            )
            if after_auth is not None:
                await after_auth(snapshot, credential)
        except AuthenticationFailed as exc:
            log.update(auth_outcome="refused", auth_reason=exc.message)
            raise
        test = snapshot.in_test_mode or credential.test
        log.update(auth_outcome="accepted", credential_id=credential.id, test=test)
        raw_events = request_raw_events(snapshot, request, settings)
        # After the body is read (a malformed one is reported first), before anything is written.
        refuse_other_origins(snapshot, request)
        results = await run_events(
            db,
            settings,
            snapshot,
            request,
            raw_events,
            mode="test" if test else "live",
            judging=judging,
            log=pending,
        )
        counts = counts_of(results)
        if not pending.written:
            log.update(status_code=200, counts=counts)
        return IngestOutcome(request.request_id, results, credential, test, counts)
    except UnknownConnector:
        pending.written = True  # counted, not logged: made-up URLs must not fill the database
        db.unknown_connector_requests += 1
        raise
    except InboundError as exc:
        log.update(status_code=status_of(exc), error_code=exc.code, error_message=exc.message[:MAX_MESSAGE])
        raise
    finally:
        if not pending.written:
            # Refused, failed, or nothing to process: the log row on its own. "Once": if a chunk's
            # commit carried the row after all but reported an error, it is not written twice.
            log.setdefault("status_code", 500)
            log["duration_ms"] = round((time.perf_counter() - pending.started) * 1000, 3)
            async with db.write() as conn:
                await log_request_once(conn, log)


def refuse_other_origins(snapshot: ConnectorSnapshot, request: IngestRequest) -> None:
    """A browser connector (allowedOrigins set) takes no request from another origin: a simple
    POST needs no preflight, so the preflight's check alone would not stop it."""
    origin = request.headers.get("origin")
    allowed = snapshot.row["allowed_origins"] or []
    if origin and allowed and "*" not in allowed and origin.lower() not in allowed:
        raise Forbidden(
            f"origin {origin[:200]!r} is not in this connector's allowedOrigins",
            code="cors_origin_not_allowed",
        )


def request_raw_events(snapshot: ConnectorSnapshot, request: IngestRequest, settings: Settings) -> list[Any]:
    if request.method == "GET":
        if not snapshot.row["allow_get"]:
            raise MethodNotAllowed(
                "this connector does not accept GET; send a POST, or set allowGet: true on the connector "
                "for pixel-style events"
            )
        # Pixel-style: the query string is the event, minus the token that authenticated it.
        param = snapshot.auth.model_dump().get("param") or "token"
        return parse_query_event({k: v for k, v in request.query.items() if k != param})
    # The SDKs' routes carry JSON whatever they call it (RudderStack's Node SDK labels its gzipped
    # JSON application/x-www-form-urlencoded).
    content_type = "application/json" if request.path else request.content_type
    return mask_body_credentials(parse_body(request.body, content_type, max_items=settings.max_batch_items))
