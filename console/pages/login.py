"""Log in with the admin token; log out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from api.admin_auth import identify
from console.render import page
from console.session import form_of, new_session

WHY = {
    "idle": "You were logged out after 30 minutes without activity. Log in again to go on.",
    "revoked": "Your admin key was revoked. Log in with another key.",
}


def _safe_next(target: str) -> str:
    """Only a console path: never an open redirect to another site."""
    return target if target.startswith("/console") and not target.startswith("//") else "/console"


async def login_form(request: Request) -> Response:
    return page(
        request,
        "login.html",
        {
            "next": _safe_next(request.query_params.get("next", "/console")),
            "message": WHY.get(request.query_params.get("why", ""), ""),
            "failed": False,
            "name": "",
        },
    )


async def login(request: Request) -> Response:
    form = form_of(request)
    presented = form.get("token", "").strip()
    name = form.get("name", "").strip()[:100]
    identity = await identify(request.app, presented)
    if identity is None:
        message = (
            "That is not the admin token or an active admin key." if presented else "Enter the admin token."
        )
        return page(
            request,
            "login.html",
            {"next": _safe_next(form.get("next", "")), "message": message, "failed": True, "name": name},
            status_code=401,
        )
    new_session(request.session, name or identity.name, identity)
    return RedirectResponse(_safe_next(form.get("next", "")), status_code=303)


async def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/console/login", status_code=303)


ROUTES = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
