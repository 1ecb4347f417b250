"""Refuse a path holding NUL before any handler sees it: no id can hold one, and PostgreSQL text
cannot even be compared with it (the look-up itself would fail)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from api.http import send_error


class RefuseNulInPath:
    """Pure ASGI, like AdminAuth: a string check per request, nothing more."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "\x00" not in scope["path"]:
            await self.app(scope, receive, send)
            return
        shown = scope["path"].replace("\x00", "\\u0000")
        await send_error(send, 404, "not_found", f"no route {shown!r}: a path never holds NUL (%00)")
