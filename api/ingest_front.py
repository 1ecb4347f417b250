"""Connector URLs answered straight from the ASGI scope, ahead of the admin middleware and the
router: a sender's request is most of the traffic, and the layers it skipped (admin auth, the
exception wrappers, matching ~100 routes) cost about 5 % of its CPU.

Only the requests the ingest routes of app.py would take come this way (their own path patterns
and methods, read from the routes); anything else (a preflight, a NUL in the path, a trailing
slash, a method the route does not take) goes on to the app, which answers exactly as it did.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http import JSON
from api.ingest import ingest
from errors import InboundError, status_of


def ingest_routes(routes: Sequence[BaseRoute]) -> list[Route]:
    """The routes (app.py's, in their order) whose endpoint is the ingest handler."""
    return [r for r in routes if isinstance(r, Route) and r.endpoint is ingest]


def ingest_path_params(routes: Sequence[Route], path: str, method: str) -> dict[str, str] | None:
    """The path parameters when one of these ingest routes takes this request, else None (the
    app then answers: a preflight, a method the route does not take, a NUL in the path)."""
    if not path.startswith("/ingest/") or "\x00" in path:
        return None
    for route in routes:
        found = route.path_regex.match(path)
        if found is not None:
            return found.groupdict() if method in (route.methods or ()) else None
    return None


class IngestFront:
    """Pure ASGI: the ingest handler itself for the requests of a connector URL."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = ingest_routes(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = None
        if scope["type"] == "http" and not scope.get("root_path"):
            params = ingest_path_params(self.routes, scope["path"], scope["method"])
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
