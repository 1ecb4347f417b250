"""The console's way into the admin API: the same handlers, called in process, no HTTP.

A form becomes the JSON body the API takes; the API's answer (or its error, with the same
message a curl user reads) comes back as an `Answer`. So the console can do nothing the API
cannot, and says nothing the API would not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Message

from api.admin_auth import IDENTITY, AdminAuth
from api.http import dumps
from api.roles import Identity
from errors import InboundError, status_of


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error(self) -> dict[str, Any] | None:
        if self.ok or not isinstance(self.body, dict):
            return None
        error = self.body.get("error")
        return error if isinstance(error, dict) else {"code": "error", "message": str(self.body)}

    @property
    def message(self) -> str:
        return (self.error or {}).get("message", "")

    @property
    def field(self) -> str | None:
        """The field an error names: the text before the first ': ' of its message."""
        head, sep, _ = self.message.partition(": ")
        return head if sep and " " not in head.strip() else None


async def call(
    request: Request,
    method: str,
    path: str,
    body: Any = None,
    query: dict[str, Any] | None = None,
) -> Answer:
    """Dispatch `method path` through the admin API's guard and router, as whoever is logged in:
    their key's role decides what they may do, and their writes are audited as theirs."""
    app = request.app
    session = request.scope.get("session") or {}
    identity = Identity(
        session.get("key_id"), session.get("key_name") or "admin token", session.get("role", "viewer")
    )
    payload = b"" if body is None else dumps(body)
    clean = {k: v for k, v in (query or {}).items() if v not in (None, "")}
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": request.url.scheme,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": urlencode(clean).encode(),
        IDENTITY: identity,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"accept", b"application/json"),
        ],
        "client": request.scope.get("client"),
        "server": request.scope.get("server"),
        "app": app,
        "state": request.scope.get("state", {}),
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": payload, "more_body": False}

    status = 500
    chunks: list[bytes] = []

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    try:
        await AdminAuth(app.router)(scope, receive, send)
    except InboundError as exc:
        return Answer(status_of(exc), exc.to_json())
    except HTTPException as exc:
        return Answer(exc.status_code, {"error": {"code": "not_found", "message": f"no route {path!r}"}})
    raw = b"".join(chunks)
    if not raw:
        return Answer(status, None)
    try:
        return Answer(status, orjson.loads(raw))
    except orjson.JSONDecodeError:
        return Answer(status, raw.decode("utf-8", "replace"))


async def connector_names(
    request: Request, connectors: list[dict[str, Any]] | None = None
) -> dict[str, str]:
    """Source -> what a marketer calls it: a connector by its name (ids stay in the links); an
    event reported without a connector ("type:<name>") by its event type and who reported it.
    `connectors`: the connectors, when the page has read them already."""
    if connectors is None:
        answer = await call(request, "GET", "/api/connectors")
        connectors = answer.body["items"] if answer.ok else []
    names = {c["id"]: c["name"] for c in connectors}
    types = await call(request, "GET", "/api/event-types")
    for t in types.body["items"] if types.ok else []:
        names[f"type:{t['name']}"] = reported_source(t["name"], t["reporting"])
    return names


def reported_source(event_type: str, reporting: str) -> str:
    """`EARNED_BADGE` reported by Inbound itself reads "Inbound: earned badge"; a type reported
    through the API reads "ecommerce.purchase (reported)"."""
    if reporting == "intrinsic":
        return "Inbound: " + event_type.replace("_", " ").lower()
    return f"{event_type} (reported)"
