"""Admin API for trying integrations: dry runs (nothing written) and purging a connector's test data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.http import JSON, db_of, json_of, settings_of
from api.ingest import read_capped_body
from api.models.trials import ConnectorDryRunInput, DryRunInput, MappingPreviewInput
from api.validation import read_input
from errors import InvalidInput, NotFound
from pipeline.dry_run import dry_run
from pipeline.receive import load_snapshot, snapshot_of
from pipeline.sample_check import check_samples
from storage import connectors as store
from storage.event_types import get_event_type
from storage.purge import purge_test_data

# A simulated body travels JSON-escaped inside the dry-run request: up to 6 characters a byte.
DRY_RUN_ENCODING_ROOM = 6
_INVALID = "invalid_dry_run"


async def _read_dry_run(request: Request) -> Any:
    """The dry-run body, capped: room for a simulated body of the ingest limit, JSON-escaped."""
    limit = DRY_RUN_ENCODING_ROOM * settings_of(request).max_body_bytes + 64 * 1024
    # Parsed as strictly as any admin body: a lone surrogate in bodyText is a 400, not a 500 later.
    return json_of(await read_capped_body(request, limit))


async def connector_dry_run(request: Request) -> Response:
    connector_id = request.path_params["connector_id"]
    wanted = read_input(ConnectorDryRunInput, await _read_dry_run(request), code=_INVALID)
    ingest_request = wanted.simulated(connector_id)
    db, settings = db_of(request), settings_of(request)
    snapshot = await load_snapshot(db, settings, connector_id, include_disabled=True)
    report = await dry_run(
        db, settings, snapshot, ingest_request, statuses=wanted.statuses(), check_auth=True
    )
    return JSON(report)


async def standalone_dry_run(request: Request) -> Response:
    """A mapping and a payload, no connector needed: for writing a mapping before saving it."""
    wanted = read_input(DryRunInput, await _read_dry_run(request), code=_INVALID)
    ingest_request = wanted.simulated("dry-run")
    mapping, event_type = wanted.mapping, wanted.event_type
    db, settings = db_of(request), settings_of(request)
    async with db.read() as conn:
        if await get_event_type(conn, event_type) is None:
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
        db, settings, snapshot, ingest_request, statuses=wanted.statuses(), check_auth=False
    )
    return JSON(report)


async def mapping_preview(request: Request) -> Response:
    """A connector's dry run with a mapping not saved yet: the playground's "what would happen".

    The connector's event type, rules and samples apply as if the mapping were saved; the request
    is not authenticated (there is no sender). The answer adds what the mapping would change in
    each saved sample, the check that saving runs.
    """
    connector_id = request.path_params["connector_id"]
    wanted = read_input(MappingPreviewInput, await _read_dry_run(request), code=_INVALID)
    mapping = wanted.mapping
    ingest_request = wanted.simulated(connector_id)
    db, settings = db_of(request), settings_of(request)
    async with db.read() as conn:
        row = await store.get_connector(conn, connector_id)
        if row is None:
            raise NotFound(f"no connector {connector_id!r}", code="unknown_connector")
        creds = await store.list_credentials(conn, connector_id)
    snapshot = snapshot_of({**row, "mapping": mapping}, creds, settings)  # a syntax error is a 422
    report = await dry_run(
        db, settings, snapshot, ingest_request, statuses=wanted.statuses(), check_auth=False
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
