"""The ingest front (api/ingest_front.py) takes exactly the requests app.py routes to the ingest
handler, with the same path parameters: everything else reaches the app unchanged."""

from __future__ import annotations

import pytest
from starlette.routing import Match, Route

from api import ingest
from api.ingest_front import ingest_path_params, ingest_routes
from app import ROUTES

PATHS = [
    "/ingest/con_1",
    "/ingest/con_1/",
    "/ingest/",
    "/ingest",
    "/ingest/con_1/v1/batch",
    "/ingest/con_1/v1/nope",
    "/ingest/con_1/v1/",
    "/ingest/con_1/v1/batch/extra",
    "/ingest/con_1/api/s/track",
    "/ingest/con_1/api/s/s2s/track",
    "/ingest/con_1/api/s/s2s/",
    "/ingest/con_1/api/s/",
    "/ingest/con%201",
    "/ingest/con 1/v1/track",
    "/ingest/a\x00b",
    "/ingest/con_1/other",
    "/ingestion/con_1",
    "/api/connectors/con_1",
    "/",
]
METHODS = ["POST", "GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"]


def routed_to_ingest(path: str, method: str) -> dict[str, str] | None:
    """What Starlette's router does: the first route that fully matches path and method."""
    scope = {"type": "http", "path": path, "method": method, "root_path": ""}
    for route in ROUTES:
        if not isinstance(route, Route):
            continue
        match, child = route.matches(scope)
        if match is Match.FULL:
            return dict(child["path_params"]) if route.endpoint is ingest.ingest else None
    return None


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", PATHS)
def test_the_front_takes_what_the_router_gives_the_ingest_handler(path: str, method: str) -> None:
    expected = routed_to_ingest(path, method)
    if "\x00" in path:
        expected = None  # the app refuses a NUL in the path before any route (api/path_guard.py)
    assert ingest_path_params(ingest_routes(ROUTES), path, method) == expected


def test_the_front_is_not_vacuous() -> None:
    routes = ingest_routes(ROUTES)
    assert len(routes) == 4  # the connector URL and the three SDK path shapes
    assert ingest_path_params(routes, "/ingest/con_1", "POST") == {"connector_id": "con_1"}
    assert ingest_path_params(routes, "/ingest/c/v1/track", "POST") == {"connector_id": "c", "call": "track"}
