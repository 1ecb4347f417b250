"""The HTTP surface of Inbound on one screen: routes, middleware, error handling, start-up."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api import (
    access_log,
    admin_keys,
    badges,
    connectors,
    event_types,
    handoff,
    ingest,
    ledger,
    logs,
    members,
    metrics,
    profiles,
    rate_limits,
    replay,
    report,
    rewards,
    rules,
    samples,
    share_links,
    stats,
    testing,
    webhooks,
)
from api import (
    expiry as expiry_api,
)
from api.admin_auth import AdminAuth
from api.http import JSON
from api.ingest_front import IngestFront
from api.path_guard import RefuseNulInPath
from console import routes as console_routes
from errors import InboundError, status_of
from mapping import isolation as mapping_workers
from pipeline import expiry, intrinsic, parked, retention, webhook_delivery
from settings import Settings, ensure_admin_token, load_settings
from storage.database import Database
from storage.event_types import seed_builtin
from storage.migrate import is_up_to_date, migrate

log = logging.getLogger("inbound")


async def health(request: Request) -> Response:
    return JSON({"status": "ok"})


ROUTES = [
    Route("/health", health, methods=["GET"]),
    Route("/metrics", metrics.metrics, methods=["GET"]),
    # Senders deliver here.
    Route("/ingest/{connector_id}", ingest.ingest, methods=["POST", "GET"]),
    Route("/ingest/{connector_id}", ingest.preflight, methods=["OPTIONS"]),
    # CDP SDKs post to paths after the host they are given: the connector's URL (docs/sdks.md).
    Route("/ingest/{connector_id}/v1/{call}", ingest.ingest, methods=["POST"]),
    Route("/ingest/{connector_id}/api/s/s2s/{call}", ingest.ingest, methods=["POST"]),
    Route("/ingest/{connector_id}/api/s/{call}", ingest.ingest, methods=["POST"]),
    Route("/ingest/{connector_id}/api/s/{call}", ingest.preflight, methods=["OPTIONS"]),
    # Admin API (Authorization: Bearer <admin token>).
    Route("/api/connectors", connectors.list_connectors, methods=["GET"]),
    Route("/api/connectors", connectors.create_connector, methods=["POST"]),
    Route("/api/connectors/{connector_id}", connectors.get_connector, methods=["GET"]),
    Route("/api/connectors/{connector_id}", connectors.update_connector, methods=["PATCH"]),
    Route("/api/connectors/{connector_id}", connectors.delete_connector, methods=["DELETE"]),
    Route("/api/connectors/{connector_id}/disable", connectors.disable_connector, methods=["POST"]),
    Route("/api/connectors/{connector_id}/enable", connectors.enable_connector, methods=["POST"]),
    Route("/api/connectors/{connector_id}/credentials", connectors.list_credentials, methods=["GET"]),
    Route("/api/connectors/{connector_id}/credentials", connectors.add_credential, methods=["POST"]),
    Route(
        "/api/connectors/{connector_id}/credentials/{credential_id}",
        connectors.revoke_credential,
        methods=["DELETE"],
    ),
    Route(
        "/api/connectors/{connector_id}/mapping-versions", connectors.list_mapping_versions, methods=["GET"]
    ),
    Route("/api/event-types", event_types.list_event_types, methods=["GET"]),
    Route("/api/event-types", event_types.create_event_type, methods=["POST"]),
    Route("/api/event-types/{name}", event_types.get_event_type, methods=["GET"]),
    Route("/api/event-types/{name}", event_types.replace_event_type, methods=["PUT"]),
    Route("/api/event-types/{name}", event_types.delete_event_type, methods=["DELETE"]),
    Route("/api/event-types/{name}/secret", event_types.rotate_event_type_secret, methods=["POST"]),
    Route("/api/event-types/{name}/purge-test-data", event_types.purge_reported_test_data, methods=["POST"]),
    # Members, and the events they (public types) or systems (private types) report directly.
    Route("/api/members", members.list_members, methods=["GET"]),
    Route("/api/members", members.register_member, methods=["POST"]),
    Route("/api/members/{member_id}", members.get_member, methods=["GET"]),
    Route("/api/members/{member_id}", members.update_member, methods=["PATCH"]),
    Route("/api/members/{member_id}/identities", members.add_identity, methods=["POST"]),
    Route("/api/members/{member_id}/merge", members.merge_members, methods=["POST"]),
    Route("/api/members/{member_id}/erase", members.erase_member, methods=["POST"]),
    Route("/api/members/{member_id}/events", report.report_for_member, methods=["POST"]),
    Route("/api/members/{member_id}/tokens", members.list_tokens, methods=["GET"]),
    Route("/api/members/{member_id}/tokens", members.issue_token, methods=["POST"]),
    Route("/api/members/{member_id}/tokens/{token_id}", members.revoke_token, methods=["DELETE"]),
    Route("/events", report.report_event, methods=["POST"]),
    Route("/api/parked/release", members.release_parked_events, methods=["POST"]),
    Route("/api/requests", logs.list_requests, methods=["GET"]),
    Route("/api/requests/{request_id}", logs.get_request, methods=["GET"]),
    Route("/api/events", logs.list_events, methods=["GET"]),
    Route("/api/events/{event_id}", logs.get_event, methods=["GET"]),
    Route("/api/admin-log", logs.list_admin_log, methods=["GET"]),
    Route("/api/profiles", profiles.find_profile, methods=["GET"]),
    Route("/api/profiles/search", profiles.search_profiles, methods=["GET"]),
    Route("/api/profiles/{profile_id}", profiles.get_profile, methods=["GET"]),
    Route("/api/profiles/{profile_id}/events", profiles.profile_activity, methods=["GET"]),
    Route("/api/profiles/{profile_id}/ledger", ledger.profile_ledger, methods=["GET"]),
    Route("/api/profiles/{profile_id}/adjustments", ledger.adjust, methods=["POST"]),
    Route("/api/ledger/check", ledger.check_balances, methods=["GET"]),
    Route("/api/stats/overview", stats.overview, methods=["GET"]),
    Route("/api/rules", rules.list_rules, methods=["GET"]),
    Route("/api/rules", rules.create_rule, methods=["POST"]),
    Route("/api/rules/preview", rules.preview_rule, methods=["POST"]),
    Route("/api/rules/{rule_id}", rules.get_rule, methods=["GET"]),
    Route("/api/rules/{rule_id}", rules.update_rule, methods=["PATCH"]),
    Route("/api/rules/{rule_id}/versions", rules.list_rule_versions, methods=["GET"]),
    # Trying an integration: dry runs (nothing written) and purging test data.
    Route("/api/dry-run", testing.standalone_dry_run, methods=["POST"]),
    Route("/api/connectors/{connector_id}/dry-run", testing.connector_dry_run, methods=["POST"]),
    Route("/api/connectors/{connector_id}/mapping-preview", testing.mapping_preview, methods=["POST"]),
    Route("/api/connectors/{connector_id}/purge-test-data", testing.purge, methods=["POST"]),
    # Integration pages and the OpenAPI document.
    *handoff.ROUTES,
    # Replay kept events; samples as regression cases for mappings.
    *replay.ROUTES,
    *samples.ROUTES,
    *share_links.ROUTES,
    # Named admin keys with roles, and the audit log of every admin write (owners).
    *admin_keys.ROUTES,
    # Badges members earn (a rule's reaction, or by hand); the rewards catalog and purchases.
    *badges.ROUTES,
    *rewards.ROUTES,
    # Points expiry: the program's policy, a pass by hand, what a member's points will do.
    *expiry_api.ROUTES,
    # Outgoing webhooks: endpoints, the delivery log, redelivery and test sends.
    *webhooks.ROUTES,
]


async def inbound_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InboundError)
    return JSON(exc.to_json(), status_code=status_of(exc))


def allowed_methods(request: Request) -> str:
    """Every method some route takes on this path: a path's methods may be spread over several
    routes (GET and POST of /api/rules), and Starlette's 405 names only one route's."""
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.path_regex.match(request.url.path):
            methods |= set(route.methods or ())
    return ", ".join(sorted(methods))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = {
        404: f"no route {request.url.path!r}; see /openapi.json",
        405: f"{request.method} is not allowed on {request.url.path!r}",
    }.get(exc.status_code, str(exc.detail))
    return JSON({"error": {"code": code, "message": message}}, status_code=exc.status_code, headers=headers)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSON(
        {"error": {"code": "internal_error", "message": "unexpected error; it was logged"}}, status_code=500
    )


GC_THRESHOLDS = (50_000, 20, 100)  # Python's defaults: (700, 10, 10)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = ensure_admin_token(settings or load_settings())
    access_log.install()  # no query token in any access log line

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        # Migrate first: `uvicorn --factory app:create_app` on an empty database then just works.
        # Up to date (the usual case) costs one query; concurrent starts take turns (see migrate).
        if not await is_up_to_date(db):
            await migrate(db)
        async with db.write() as conn:
            await seed_builtin(conn, datetime.now(UTC))
        app.state.db = db
        app.state.limits = rate_limits.ingest_limits(settings)
        mapping_workers.configure(settings.mapping_workers)
        pruning = asyncio.create_task(retention.run_forever(db, settings))
        sweeping = asyncio.create_task(parked.sweep_forever(db, settings))
        delivering = asyncio.create_task(webhook_delivery.deliver_forever(db, settings))
        expiring = asyncio.create_task(expiry.run_forever(db, settings))
        owing = asyncio.create_task(intrinsic.sweep_forever(db, settings))
        # What start-up allocated lives as long as the process: keep the collector off it, and
        # collect the young less often (each pass held every request for up to 60 ms; p99 /3).
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        yield
        for task in (pruning, sweeping, delivering, expiring, owing):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app.state.limits.close()
        await db.dispose()

    app = Starlette(
        # The console (/console, / and its session) sits beside the API, not in front of it.
        routes=[*ROUTES, *console_routes.mount(settings)],
        middleware=[
            Middleware(IngestFront, routes=ROUTES),  # connector URLs, ahead of the admin layers
            Middleware(RefuseNulInPath),
            Middleware(AdminAuth),
        ],
        exception_handlers={
            InboundError: inbound_error,
            HTTPException: http_error,
            Exception: unexpected_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app
