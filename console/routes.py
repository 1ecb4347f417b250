"""Where the console sits in the app: /console (pages, static assets), / and /share/{token}."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from console.pages import (
    admin,
    connectors,
    event_types,
    events,
    login,
    loyalty,
    members,
    overview,
    playground,
    rules,
    webhooks,
)
from console.render import HERE
from console.session import MAX_AGE_SECONDS, ConsoleGuard, session_key
from settings import Settings


async def to_console(request: Request) -> Response:
    return RedirectResponse("/console/", status_code=307)


def mount(settings: Settings) -> list[BaseRoute]:
    pages = [
        *login.ROUTES,
        *overview.ROUTES,
        *connectors.ROUTES,
        *playground.ROUTES,
        *rules.ROUTES,
        *events.ROUTES,
        *members.ROUTES,
        *event_types.ROUTES,
        *loyalty.ROUTES,
        *webhooks.ROUTES,
        *admin.ROUTES,
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="console-static"),
    ]
    return [
        Route("/", to_console, methods=["GET"], include_in_schema=False),
        Route("/console", to_console, methods=["GET"], include_in_schema=False),
        Mount(
            "/console",
            routes=pages,
            middleware=[
                Middleware(
                    SessionMiddleware,
                    secret_key=session_key(settings.admin_token),
                    session_cookie="inbound_console",
                    max_age=MAX_AGE_SECONDS,
                    path="/console",
                    same_site="lax",
                    https_only=settings.base_url.startswith("https://"),
                ),
                Middleware(ConsoleGuard),
            ],
        ),
    ]
