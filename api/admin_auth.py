"""The admin API (`/api/…`): who is asking (the bootstrap admin token, or a named admin key), may
that role do this (api/roles.py), and an audit row for every write.

Pure ASGI, so the ingest hot path pays nothing for it. The console calls through it too, with the
identity of whoever logged in (console/api_client.py), so a console user has exactly their key's
rights and their writes are audited the same way.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http import send_error
from api.roles import Identity, is_write, may, refusal
from storage.admin_keys import find_active_key, insert_audit
from storage.audit_slot import audit_slot, record_answer

IDENTITY = "inbound.identity"
SECRET_FIELDS = frozenset({"secret", "testSecret", "token"})
MASK = "***"


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def identify(app: Any, token: str) -> Identity | None:
    """The bootstrap token is an owner; an admin key is whatever role it was given."""
    if not token:
        return None
    bootstrap: str = app.state.settings.admin_token
    if bootstrap and hmac.compare_digest(token.encode(), bootstrap.encode()):
        return Identity(None, "admin token", "owner")
    async with app.state.db.read() as conn:
        row = await find_active_key(conn, digest_of(token))
    return Identity(row["id"], row["name"], row["role"]) if row else None


def bearer(scope: Scope) -> tuple[bytes, str]:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, presented = value.partition(b" ")
            return value, presented.strip().decode("latin-1") if scheme.lower() == b"bearer" else ""
    return b"", ""


class AdminAuth:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        identity: Identity | None = scope.get(IDENTITY)
        if identity is None:
            header, token = bearer(scope)
            identity = await identify(scope["app"], token)
            if identity is None:
                reason = "missing" if not header else "wrong"
                await send_error(
                    send,
                    401,
                    "admin_unauthorized",
                    f"admin token {reason}: send 'Authorization: Bearer <admin token or admin key>'",
                    [(b"www-authenticate", b'Bearer realm="inbound-admin"')],
                )
                return
        method, path = scope["method"], scope["path"]
        if not may(identity.role, method, path):
            await send_error(send, 403, "admin_forbidden", refusal(identity, method, path))
            return
        scope[IDENTITY] = identity
        if is_write(method, path):
            await self._audited(identity, scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _audited(self, identity: Identity, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the write with its audit row stored in the write's own transaction (a write never
        commits without its row), then add the answer to the row before the client sees it."""
        before = await self._current(scope) if scope["method"] in ("PUT", "PATCH", "DELETE") else None
        path = scope["path"]
        body: list[bytes] = []

        async def teed() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.append(message.get("body", b""))
            return message

        def pending_row() -> dict[str, Any]:
            return {
                "at": datetime.now(UTC),
                "key_id": identity.key_id,
                "key_name": identity.name,
                "role": identity.role,
                "method": scope["method"],
                "path": path[:512],
                "request": masked(_json(b"".join(body)), path),
                "before": masked(before, path),
            }

        start: Message = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        with audit_slot(pending_row) as slot:
            await self.app(scope, teed, keep)
        status = int(start.get("status", 500))
        after = masked(_json(b"".join(chunks)), path)
        if slot.id is not None:  # something was written: the row is there, add the answer
            async with scope["app"].state.db.write() as conn:
                await record_answer(conn, slot.id, status, after)
        elif 200 <= status < 300:  # written on another connection (the group writer's), or nothing to store
            async with scope["app"].state.db.write() as conn:
                await insert_audit(conn, {**pending_row(), "status": status, "after": after})
        await send(start)
        await send({"type": "http.response.body", "body": b"".join(chunks)})

    async def _current(self, scope: Scope) -> Any:
        """The resource as a GET of the same path answers it now (None where there is none)."""
        get_scope = {**scope, "method": "GET", "query_string": b""}
        status = 0
        chunks: list[bytes] = []

        async def nothing() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def keep(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(get_scope, nothing, keep)
        except Exception:  # no GET route there, or it failed: nothing to show as "before"
            return None
        return _json(b"".join(chunks)) if status == 200 else None


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {"text": raw[:2000].decode("utf-8", "replace")}


def masked(value: Any, path: str) -> Any:
    """No secret in the audit log: secret fields, credential values, a new admin key's token."""
    if isinstance(value, list):
        return [masked(v, path) for v in value]
    if not isinstance(value, dict):
        return value
    credential = {"id", "value", "test"} <= value.keys() or path.endswith("/credentials")
    return {
        k: MASK if k in SECRET_FIELDS or (k == "value" and credential) else masked(v, path)
        for k, v in value.items()
    }
