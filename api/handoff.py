"""Hand-off for the sender's developers: integration pages per connector, the OpenAPI document.

The integration routes live under /api/, so they need the admin token like the rest of the
admin API (the admin downloads the page and hands it over). /openapi.json and /docs are
public: they describe the API and hold no secrets.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from api.http import JSON, bool_param, choice_param, db_of, settings_of
from errors import NotFound
from handoff.example import Example
from handoff.html_page import render_integration
from handoff.page import integration_page
from handoff.redact import redact, redact_input
from openapi.document import build_document
from openapi.render import render_reference
from storage import connectors as store
from storage.database import Connection
from storage.event_types import get_event_type
from storage.logs import LogFilter, list_events
from storage.samples import list_samples

EXAMPLES = ("saved", "sample", "latest")


async def _examples(
    conn: Connection, connector_id: str, wanted: str
) -> tuple[Example | None, Example | None]:
    """(the example to show, None for one made up from the mapping; the real shape seen, if any).

    `saved` (default): the newest saved sample (the admin chose it), else made up. `sample`:
    always made up. `latest`: the latest real raw event, else as `saved`. Both real inputs have
    their personal data replaced: a sample saved from an event (`{"eventId": …}`) holds that
    member's data as much as the latest event does. The shape seen (field names and types only)
    prefers a saved sample.
    """
    saved_rows = await list_samples(conn, connector_id)
    saved = None
    if saved_rows:
        newest = saved_rows[-1]
        body, headers, query, paths = redact_input(
            newest["body"], newest["headers"] or {}, newest["query"] or {}
        )
        saved = Example("saved_sample", body, headers, query, newest["name"], redacted=tuple(paths))
    latest_rows = await list_events(conn, LogFilter(connector_id=connector_id, limit=1))
    latest = None
    if latest_rows:
        raw, paths = redact(latest_rows[0]["raw"])
        latest = Example("latest_event", raw, redacted=tuple(paths))
    seen = saved or latest
    if wanted == "sample":
        return None, seen
    if wanted == "latest" and latest is not None:
        return latest, seen
    return saved, seen


async def _page(request: Request, connector_id: str | None = None) -> dict[str, Any]:
    connector_id = connector_id or request.path_params["connector_id"]
    wanted = choice_param(request, "example", EXAMPLES) or "saved"
    async with db_of(request).read() as conn:
        row = await store.get_connector(conn, connector_id)
        if row is None:
            raise NotFound(f"no connector {connector_id!r}", code="unknown_connector")
        example, seen = await _examples(conn, connector_id, wanted)
        type_row = await get_event_type(conn, row["event_type"])
        credentials = await store.list_credentials(conn, connector_id, active_only=True)
    settings = settings_of(request)
    # Mapping the example is CPU work bounded by the mapping timeout: off the event loop, as in ingest.
    build = partial(
        integration_page,
        row,
        base_url=settings.base_url,
        example=example,
        seen=seen,
        event_schema=dict(type_row["json_schema"]) if type_row else None,
        has_test_credential=any(c["test"] for c in credentials),
        **settings.mapping_bounds,
    )
    return await anyio.to_thread.run_sync(build)


def _attachment(request: Request, connector_id: str, suffix: str) -> dict[str, str]:
    if not bool_param(request, "download"):
        return {}
    return {"Content-Disposition": f'attachment; filename="inbound-{connector_id}-integration.{suffix}"'}


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "").lower()
    html, json = accept.find("text/html"), accept.find("application/json")
    return html >= 0 and (json < 0 or html < json)


async def integration_json(request: Request) -> Response:
    page = await _page(request)
    return JSON(page, headers=_attachment(request, page["connector"]["id"], "json"))


async def integration_html(request: Request, connector_id: str | None = None) -> Response:
    page = await _page(request, connector_id)
    return HTMLResponse(
        render_integration(page), headers=_attachment(request, page["connector"]["id"], "html")
    )


async def integration(request: Request) -> Response:
    """JSON by default; HTML for `Accept: text/html` (a browser)."""
    return await (integration_html if _wants_html(request) else integration_json)(request)


async def openapi_json(request: Request) -> Response:
    return JSON(build_document(request.app.routes, base_url=settings_of(request).base_url))


async def reference_page(request: Request) -> Response:
    return HTMLResponse(
        render_reference(build_document(request.app.routes, base_url=settings_of(request).base_url))
    )


ROUTES: list[Route] = [
    Route("/api/connectors/{connector_id}/integration", integration, methods=["GET"]),
    Route("/api/connectors/{connector_id}/integration.html", integration_html, methods=["GET"]),
    Route("/api/connectors/{connector_id}/integration.json", integration_json, methods=["GET"]),
    Route("/openapi.json", openapi_json, methods=["GET"]),
    Route("/docs", reference_page, methods=["GET"]),
]
