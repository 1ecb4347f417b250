"""Shared integration links: a signed, expiring URL to a connector's integration page.

The sender's developers open it in a browser without the admin token. The link carries the
connector id, the connector's share epoch and an expiry, signed with itsdangerous under a key
derived from the admin token. Rotating the epoch revokes every link given so far (so does
changing the admin token).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from api.handoff import integration_html
from api.http import JSON, db_of, read_json_or_empty, settings_of
from api.models.access import ShareLinkInput
from api.validation import read_input
from errors import NotFound
from storage import connectors as store
from storage import share_keys


def _now() -> float:
    """The clock links are judged by (tests move it)."""
    return datetime.now(UTC).timestamp()


def _serializer(admin_token: str) -> URLSafeSerializer:
    key = hmac.new(admin_token.encode(), b"inbound shared integration links", hashlib.sha256).hexdigest()
    return URLSafeSerializer(key, salt="integration-page")


async def create_share_link(request: Request) -> Response:
    connector_id = request.path_params["connector_id"]
    days = read_input(ShareLinkInput, await read_json_or_empty(request), code="invalid_share_link").days
    async with db_of(request).read() as conn:
        if await store.get_connector(conn, connector_id) is None:
            raise NotFound(f"no connector {connector_id!r}", code="unknown_connector")
        epoch = await share_keys.epoch_of(conn, connector_id)
    settings = settings_of(request)
    expires = (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)
    token = _serializer(settings.admin_token).dumps(
        {"c": connector_id, "e": epoch, "x": int(expires.timestamp())}
    )
    return JSON(
        {"url": f"{settings.base_url}/share/{token}", "expiresAt": expires, "connectorId": connector_id},
        status_code=201,
    )


async def rotate_share_links(request: Request) -> Response:
    connector_id = request.path_params["connector_id"]
    async with db_of(request).write() as conn:
        if await store.get_connector(conn, connector_id) is None:
            raise NotFound(f"no connector {connector_id!r}", code="unknown_connector")
        epoch = await share_keys.rotate(conn, connector_id, datetime.now(UTC))
    return JSON({"connectorId": connector_id, "revoked": True, "epoch": epoch})


def _gone(title: str, message: str, status: int) -> Response:
    html = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>{title} · Inbound</title><body style='font:16px system-ui,sans-serif;max-width:36em;"
        f"margin:10vh auto;padding:0 16px'><h1>{title}</h1><p>{message}</p></body></html>"
    )
    return HTMLResponse(html, status_code=status)


async def open_share_link(request: Request) -> Response:
    """Public: the integration page behind a valid link; a plain page saying why otherwise."""
    settings = settings_of(request)
    try:
        data = _serializer(settings.admin_token).loads(request.path_params["token"])
        connector_id, epoch, expires = data["c"], int(data["e"]), int(data["x"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return _gone(
            "Link not valid", "This link is not a valid Inbound integration link. Ask for a new one.", 404
        )
    if _now() >= expires:
        return _gone(
            "Link expired", "This integration link has expired. Ask the Inbound admin for a new one.", 410
        )
    async with db_of(request).read() as conn:
        current = await share_keys.epoch_of(conn, connector_id)
        exists = await store.get_connector(conn, connector_id) is not None
    if epoch != current or not exists:
        return _gone(
            "Link revoked", "This integration link was revoked. Ask the Inbound admin for a new one.", 410
        )
    response = await integration_html(request, connector_id)
    response.headers["Referrer-Policy"] = "no-referrer"  # the link is the credential: keep it out of Referer
    response.headers["X-Robots-Tag"] = "noindex"
    return response


ROUTES = [
    Route("/api/connectors/{connector_id}/share-links", create_share_link, methods=["POST"]),
    Route("/api/connectors/{connector_id}/share-links/rotate", rotate_share_links, methods=["POST"]),
    Route("/share/{token}", open_share_link, methods=["GET"]),
]
