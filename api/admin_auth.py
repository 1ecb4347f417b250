"""The admin API (`/api/…`) needs `Authorization: Bearer <admin token>`; ingest routes do not."""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from api.http import send_error


class AdminAuth:
    """Pure ASGI, so the ingest hot path pays nothing for it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        token: str = scope["app"].state.settings.admin_token
        header = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value
                break
        scheme, _, presented = header.partition(b" ")
        if scheme.lower() == b"bearer" and token and hmac.compare_digest(presented.strip(), token.encode()):
            await self.app(scope, receive, send)
            return
        reason = "missing" if not header else "wrong"
        await send_error(
            send,
            401,
            "admin_unauthorized",
            f"admin token {reason}: send 'Authorization: Bearer <admin token>'",
            [(b"www-authenticate", b'Bearer realm="inbound-admin"')],
        )
