"""Who may use the console: log in with the admin token, a signed session cookie, CSRF, idle timeout.

The session lives in a cookie signed with itsdangerous (Starlette's SessionMiddleware), HttpOnly
and SameSite=Lax, scoped to /console. Its key is derived from the admin token, so rotating the
token logs every console out. Every request that changes something must carry the session's CSRF
token (a form field, or the X-CSRF-Token header htmx sends); the guard checks it before any page
code runs, so no handler can forget.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.roles import Identity
from storage.admin_keys import key_is_active

IDLE_SECONDS = 30 * 60  # a console left alone this long asks for the token again
MAX_AGE_SECONDS = 12 * 60 * 60  # and after a working day, whatever happens
MAX_FORM_BYTES = 16 * 1024 * 1024  # the playground posts payloads up to the ingest limit, escaped
OPEN_PATHS = ("/console/login", "/console/static/")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def now() -> int:
    """The clock the session reads (tests move it)."""
    return int(time.time())


def session_key(admin_token: str) -> str:
    return hmac.new(admin_token.encode(), b"inbound console session", hashlib.sha256).hexdigest()


def new_session(session: dict[str, Any], name: str, identity: Identity) -> None:
    session.clear()
    session.update(
        admin=True,
        name=name,
        key_id=identity.key_id,
        key_name=identity.name,  # the audit log names the key; `name` is the person, on adjustments
        role=identity.role,
        csrf=secrets.token_urlsafe(24),
        seen=now(),
    )


def form_of(request: Request) -> dict[str, str]:
    """The urlencoded form the guard already read and checked (last value wins per name)."""
    return dict(request.scope.get("console.form", {}))


def form_lists(request: Request) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for name, value in request.scope.get("console.form_pairs", []):
        lists.setdefault(name, []).append(value)
    return lists


class ConsoleGuard:
    """Pure ASGI inside the session middleware: login, idle timeout and CSRF for every page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        session: dict[str, Any] = scope["session"]
        method: str = scope["method"]
        body = b""
        if method not in SAFE_METHODS:
            read = await _read_body(receive)
            if read is None:
                await _refuse(scope, receive, send, 413, "The form is too large.")
                return
            body = read
            pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            scope["console.form_pairs"] = pairs
            scope["console.form"] = dict(pairs)
        if not path.startswith(OPEN_PATHS):
            moment = now()
            if not session.get("admin"):
                await _to_login(scope, receive, send, "")
                return
            if moment - int(session.get("seen", 0)) > IDLE_SECONDS:
                session.clear()
                await _to_login(scope, receive, send, "idle")
                return
            if session.get("key_id") and not await _key_active(scope, session["key_id"]):
                session.clear()  # a revoked admin key logs its console sessions out
                await _to_login(scope, receive, send, "revoked")
                return
            if method not in SAFE_METHODS and not _csrf_ok(scope, session):
                await _refuse(
                    scope,
                    receive,
                    send,
                    403,
                    "This form was refused: its security token (CSRF) is missing or out of date. "
                    "Reload the page and try again.",
                )
                return
            session["seen"] = moment
        await self.app(scope, _replay(body, receive) if method not in SAFE_METHODS else receive, send)


async def _key_active(scope: Scope, key_id: str) -> bool:
    async with scope["app"].state.db.read() as conn:
        return await key_is_active(conn, key_id)


def _csrf_ok(scope: Scope, session: dict[str, Any]) -> bool:
    expected = session.get("csrf", "")
    presented = scope.get("console.form", {}).get("csrf_token", "")
    for name, value in scope["headers"]:
        if name == b"x-csrf-token":
            presented = value.decode("latin-1")
    return bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, then: Receive) -> Receive:
    """The body already read, then the real channel (a response waits on it for a disconnect)."""
    done = False

    async def receive() -> Message:
        nonlocal done
        if done:
            return await then()
        done = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _is_htmx(scope: Scope) -> bool:
    return any(name == b"hx-request" for name, _ in scope["headers"])


async def _to_login(scope: Scope, receive: Receive, send: Send, why: str) -> None:
    target = scope["path"] + ("?" + scope["query_string"].decode() if scope["query_string"] else "")
    url = f"/console/login?next={quote(target)}" + (f"&why={why}" if why else "")
    response: Response
    if _is_htmx(scope):  # a partial swap would put the login page inside the page
        response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    await response(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    html = (
        "<!doctype html><meta charset=utf-8><title>Refused · Inbound</title>"
        "<link rel=stylesheet href=/console/static/console.css>"
        f'<main class="narrow"><h1>Refused</h1><p class="error" role="alert">{message}</p>'
        '<p><a href="/console">Back to the console</a></p></main>'
    )
    await HTMLResponse(html, status_code=status)(scope, receive, send)
