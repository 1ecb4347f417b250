"""Admin API for trying integrations: dry runs (nothing written) and purging a connector's test data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.http import JSON, db_of, json_of, settings_of
from api.ingest import read_capped_body
from errors import InvalidInput, NotFound
from pipeline.dry_run import dry_run, dry_run_request, rule_statuses
from pipeline.receive import load_snapshot, snapshot_of
from pipeline.sample_check import check_samples
from storage import connectors as store
from storage.event_types import get_event_type
from storage.purge import purge_test_data

# A simulated body travels JSON-escaped inside the dry-run request: up to 6 characters a byte.
DRY_RUN_ENCODING_ROOM = 6


async def _read_dry_run(request: Request) -> Any:
    """The dry-run body, capped: room for a simulated body of the ingest limit, JSON-escaped."""
    limit = DRY_RUN_ENCODING_ROOM * settings_of(request).max_body_bytes + 64 * 1024
    # Parsed as strictly as any admin body: a lone surrogate in bodyText is a 400, not a 500 later.
    return json_of(await read_capped_body(request, limit))


async def connector_dry_run(request: Request) -> Response:
    connector_id = request.path_params["connector_id"]
    data = await _read_dry_run(request)
    ingest_request = dry_run_request(data, connector_id)
    if "mapping" in data or "eventType" in data:
        raise InvalidInput(
            "mapping: a connector's dry run uses its saved mapping; try a new one with POST /api/dry-run",
            code="invalid_dry_run",
        )
    db, settings = db_of(request), settings_of(request)
    snapshot = await load_snapshot(db, settings, connector_id, include_disabled=True)
    report = await dry_run(
        db, settings, snapshot, ingest_request, statuses=rule_statuses(data), check_auth=True
    )
    return JSON(report)


async def standalone_dry_run(request: Request) -> Response:
    """A mapping and a payload, no connector needed: for writing a mapping before saving it."""
    data = await _read_dry_run(request)
    ingest_request = dry_run_request(data, "dry-run")
    mapping = data.get("mapping") if isinstance(data, dict) else None
    if not isinstance(mapping, str) or not mapping.strip():
        raise InvalidInput("mapping: required, a JSONata expression", code="invalid_dry_run")
    event_type = data.get("eventType", "custom.basic")
    db, settings = db_of(request), settings_of(request)
    async with db.read() as conn:
        if not isinstance(event_type, str) or await get_event_type(conn, event_type) is None:
            raise InvalidInput(f"eventType: {event_type!r} is not a known event type", code="invalid_dry_run")
    now = datetime.now(UTC)
    row: dict[str, Any] = {
        "id": "dry-run",
        "name": "dry run",
        "auth": {"method": "query_token"},
        "mapping": mapping,
        "mapping_version": 0,
        "event_type": event_type,
        "mode": "live",
        "status": "active",
        "create_profiles": True,
        "allowed_origins": [],
        "allow_get": True,  # no connector setting to honour: a GET (pixel) dry run maps the query
        "created_at": now,
        "updated_at": now,
    }
    snapshot = snapshot_of(row, [], settings)  # compiles the mapping: a syntax error is a 422
    report = await dry_run(
        db, settings, snapshot, ingest_request, statuses=rule_statuses(data), check_auth=False
    )
    return JSON(report)


async def mapping_preview(request: Request) -> Response:
    """A connector's dry run with a mapping not saved yet: the playground's "what would happen".

    The connector's event type, rules and samples apply as if the mapping were saved; the request
    is not authenticated (there is no sender). The answer adds what the mapping would change in
    each saved sample, the check that saving runs.
    """
    connector_id = request.path_params["connector_id"]
    data = await _read_dry_run(request)
    if not isinstance(data, dict):
        dry_run_request(data, connector_id)  # raises the dry run's own message for a non-object
    mapping = data.get("mapping")
    if not isinstance(mapping, str) or not mapping.strip():
        raise InvalidInput("mapping: required, the JSONata expression to try", code="invalid_dry_run")
    if "eventType" in data:
        raise InvalidInput(
            "eventType: a preview uses the connector's event type; change it on the connector",
            code="invalid_dry_run",
        )
    rest = {k: v for k, v in data.items() if k != "mapping"}
    ingest_request = dry_run_request(rest, connector_id)
    db, settings = db_of(request), settings_of(request)
    async with db.read() as conn:
        row = await store.get_connector(conn, connector_id)
        if row is None:
            raise NotFound(f"no connector {connector_id!r}", code="unknown_connector")
        creds = await store.list_credentials(conn, connector_id)
    snapshot = snapshot_of({**row, "mapping": mapping}, creds, settings)  # a syntax error is a 422
    report = await dry_run(
        db, settings, snapshot, ingest_request, statuses=rule_statuses(rest), check_auth=False
    )
    async with db.read() as conn:
        checks = await check_samples(conn, {**row, "mapping": mapping}, snapshot.mapping)
    report["samples"] = {"changed": sum(1 for c in checks if c["changed"]), "checks": checks}
    return JSON(report)


async def purge(request: Request) -> Response:
    connector_id = request.path_params["connector_id"]
    async with db_of(request).write() as conn:
        if await store.get_connector(conn, connector_id) is None:
            raise NotFound(f"no connector {connector_id!r}", code="unknown_connector")
        summary = await purge_test_data(conn, connector_id, datetime.now(UTC))
    return JSON({"purged": summary})
