"""Connector URLs answered straight from the ASGI scope, ahead of the admin middleware and the
router: a sender's request is most of the traffic, and the layers it skipped (admin auth, the
exception wrappers, matching ~100 routes) cost about 5 % of its CPU.

Only the requests the ingest routes of app.py would take come this way (the same paths and
methods); anything else (a preflight, a NUL in the path, a trailing slash, a method the route
does not take) goes on to the app, which answers exactly as it did.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http import JSON
from api.ingest import ingest
from errors import InboundError, status_of

# app.py's ingest routes, as Starlette matches them ({name} is one path segment, never empty).
_PATHS = (
    (re.compile(r"/ingest/(?P<connector_id>[^/]+)"), frozenset({"POST", "GET", "HEAD"})),
    (re.compile(r"/ingest/(?P<connector_id>[^/]+)/v1/(?P<call>[^/]+)"), frozenset({"POST"})),
    (re.compile(r"/ingest/(?P<connector_id>[^/]+)/api/s/s2s/(?P<call>[^/]+)"), frozenset({"POST"})),
    (re.compile(r"/ingest/(?P<connector_id>[^/]+)/api/s/(?P<call>[^/]+)"), frozenset({"POST"})),
)


def ingest_path_params(path: str, method: str) -> dict[str, str] | None:
    """The path parameters when an ingest route takes this request, else None."""
    if not path.startswith("/ingest/") or "\x00" in path:
        return None
    for pattern, methods in _PATHS:
        found = pattern.fullmatch(path)
        if found is not None:
            return found.groupdict() if method in methods else None
    return None


class IngestFront:
    """Pure ASGI: the ingest handler itself for the requests of a connector URL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = None
        if scope["type"] == "http" and not scope.get("root_path"):
            params = ingest_path_params(scope["path"], scope["method"])
        if params is None:
            await self.app(scope, receive, send)
            return
        scope["path_params"] = params
        request = Request(scope, receive, send)
        try:
            response = await ingest(request)
        except InboundError as exc:  # as app.py's handler answers it; ingest answers most itself
            response = JSON(exc.to_json(), status_code=status_of(exc))
        await response(scope, receive, send)
