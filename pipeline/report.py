"""Events reported directly (`POST /events`, and the intrinsic events Inbound reports itself):
the same pipeline as a connector's events, as if from a connector of their own per event type,
`type:<name>` in the request and event logs. Schema, date bounds, enhancers, duplicates, rules,
ledger and trace all apply; only authentication and parsing happen before (api/report.py).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import orjson

from connectors.auth import parse_auth_settings
from errors import InboundError, status_of
from mapping import compile_cached
from pipeline.context import ConnectorSnapshot, IngestRequest, Mode
from pipeline.receive import MAX_MESSAGE, PendingLog, _log_row, counts_of, run_events
from settings import Settings
from storage.database import Database
from storage.logs import log_request_once

# A reported event is {"type", "subject": {"kind", "value"}, "payload": {"tags": {…},
# "counters": {…}}, "occurredAt"} (and, for intrinsic events only, a clientEventId): the payload
# is the event type's own view (what its JSON Schema describes), turned into the mapped event's
# lists.
REPORT_MAPPING = """{
  "clientEventId": clientEventId,
  "profile": {"kind": subject.kind, "value": subject.value},
  "payload": {
    "timestamp": occurredAt,
    "tags": $each(payload.tags, function($v, $k) {{"name": $k, "value": $v}}),
    "counters": $each(payload.counters, function($v, $k) {{"name": $k, "value": $v}})
  }
}"""

SOURCE_PREFIX = "type:"


def source_id(event_type: str) -> str:
    """Where a reported event of this type comes from, in the logs and to earning rules."""
    return SOURCE_PREFIX + event_type


def snapshot_for(event_type: str, settings: Settings) -> ConnectorSnapshot:
    row = {
        "id": source_id(event_type),
        "name": f"Reported {event_type} events",
        "mode": "live",
        "status": "active",
        "event_type": event_type,
        "mapping": REPORT_MAPPING,
        "mapping_version": 1,
        "create_profiles": True,
        "allowed_origins": [],
        "allow_get": False,
    }
    mapping = compile_cached(REPORT_MAPPING, **settings.mapping_bounds)
    return ConnectorSnapshot(row, parse_auth_settings({"method": "query_token"}), (), mapping)


async def report(
    db: Database,
    settings: Settings,
    event: dict[str, Any],
    *,
    received_at: datetime,
    headers: dict[str, str] | None = None,
    credential: str | None = None,
    test: bool = False,
) -> tuple[str, dict[str, Any]]:
    """Process one reported event; (request id, its result). Logged like any request, whatever
    happens. `credential` names what authenticated it in the request log (a member token's id,
    "secret", or "inbound" for intrinsic events)."""
    snapshot = snapshot_for(event["type"], settings)
    body = orjson.dumps(event)
    request = IngestRequest(
        snapshot.id, "POST", dict(headers or {}), {}, body, "application/json", received_at
    )
    pending = PendingLog(_log_row(request), time.perf_counter())
    log = pending.row
    log.update(auth_outcome="accepted", credential_id=credential, test=test)
    try:
        mode: Mode = "test" if test else "live"
        results = await run_events(db, settings, snapshot, request, [event], mode=mode, log=pending)
        if not pending.written:
            log.update(status_code=200, counts=counts_of(results))
        return request.request_id, results[0]
    except InboundError as exc:
        log.update(status_code=status_of(exc), error_code=exc.code, error_message=exc.message[:MAX_MESSAGE])
        raise
    finally:
        if not pending.written:
            log.setdefault("status_code", 500)
            log["duration_ms"] = round((time.perf_counter() - pending.started) * 1000, 3)
            async with db.write() as conn:
                await log_request_once(conn, log)
