"""Dry runs: the live pipeline on a given request, with nothing written and every step shown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.auth import authenticate
from errors import AuthenticationFailed, InboundError, PayloadTooLarge, status_of
from pipeline.context import ConnectorSnapshot, IngestRequest
from pipeline.receive import request_raw_events, run_events
from settings import Settings
from storage.database import Database
from storage.profiles import common_kinds, kinds_of_other_members


def simulated_request(
    connector_id: str,
    method: str,
    headers: dict[str, str],
    query: dict[str, str],
    body: bytes,
    content_type: str | None,
) -> IngestRequest:
    """The request to simulate, as ingestion would receive it (header names in lower case)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    content_type = content_type or lowered.get("content-type")
    if content_type is None and method == "POST":
        content_type = "application/json"
    return IngestRequest(
        connector_id=connector_id,
        method=method,
        headers=lowered,
        query=dict(query),
        body=body,
        content_type=content_type,
        received_at=datetime.now(UTC),
    )


def raw_events_of(snapshot: ConnectorSnapshot, request: IngestRequest, settings: Settings) -> list[Any]:
    """The raw events as live ingestion gets them: the body-size limit, then GET or body parsing."""
    if len(request.body) > settings.max_body_bytes:
        raise PayloadTooLarge(
            f"body is {len(request.body)} bytes; at most {settings.max_body_bytes} bytes are accepted"
        )
    return request_raw_events(snapshot, request, settings)


async def dry_run(
    db: Database,
    settings: Settings,
    snapshot: ConnectorSnapshot,
    request: IngestRequest,
    *,
    statuses: frozenset[str],
    check_auth: bool,
) -> dict[str, Any]:
    """Every step a live request would take, reported, nothing kept. Problems are in the answer."""
    report: dict[str, Any] = {
        "dryRun": True,
        "connectorId": snapshot.id,
        "mappingVersion": snapshot.row["mapping_version"],
    }
    test = snapshot.in_test_mode
    if check_auth:
        try:
            credential = authenticate(
                snapshot.auth,
                snapshot.credentials,
                headers=request.headers,
                query=request.query,
                body=request.body,
                now=request.received_at.timestamp(),
            )
            test = test or credential.test
            report["auth"] = {"ok": True, "credentialId": credential.id, "test": test}
        except AuthenticationFailed as exc:
            # Shown, not fatal: the developer wants to see the mapping work before the signature does.
            report["auth"] = {"ok": False, "error": exc.to_json()["error"]}
    try:
        raw_events = raw_events_of(snapshot, request, settings)
    except InboundError as exc:
        # What live would answer instead of 200 (413, 405, 400, 415), shown with the error.
        report["parse"] = {"ok": False, "status": status_of(exc), "error": exc.to_json()["error"]}
        report.update(test=test, results=[], counts={}, warnings=[])  # the keys of every other answer
        return report
    report["parse"] = {"ok": True, "rawEvents": raw_events}
    results = await run_events(
        db,
        settings,
        snapshot,
        request,
        raw_events,
        mode="dry_run",
        rule_statuses=statuses,
        dry_run_as_test=test,
    )
    report["test"] = test
    report["results"] = results
    report["counts"] = {
        s: sum(1 for r in results if r["status"] == s) for s in {r["status"] for r in results}
    }
    report["warnings"] = await _profile_kind_warnings(db, snapshot.id, results)
    return report


async def _profile_kind_warnings(db: Database, connector_id: str, results: list[dict[str, Any]]) -> list[str]:
    """A profile kind that no other connector's members have: probably one person, two balances."""
    kinds = {
        r["mapped"]["profile"]["kind"]
        for r in results
        if isinstance(r.get("mapped"), dict) and (r["mapped"].get("profile") or {}).get("value")
    }
    if not kinds:
        return []
    async with db.read() as conn:
        lonely = await kinds_of_other_members(conn, connector_id, kinds)
        common = await common_kinds(conn, connector_id) if lonely else []
    return [
        f"profile.kind {kind!r}: no member from another connector has this kind (they use "
        f"{', '.join(repr(k) for k in common)}), so the same person would get a second profile and "
        "balance here. Use the kind the other connectors use for the same identifier "
        "(`default` for email addresses); ignore this if the identifier really is new."
        for kind in sorted(lonely)
    ]
