"""Jinja2 for the console: one environment, the filters the pages share, the context every page gets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

HERE = Path(__file__).parent


def _common(request: Request) -> dict[str, Any]:
    session = request.scope.get("session") or {}
    return {
        "csrf_token": session.get("csrf", ""),
        "admin_name": session.get("name", ""),
        "admin_role": session.get("role", ""),
    }


templates = Jinja2Templates(directory=HERE / "templates", context_processors=[_common])
env = templates.env
env.trim_blocks = True
env.lstrip_blocks = True


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def when(value: Any) -> str:
    """'2026-12-06 22:27:17 UTC': to the second, the zone said."""
    moment = _parse(value)
    if moment is None:
        return "—" if value in (None, "") else str(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ago(value: Any) -> str:
    moment = _parse(value)
    if moment is None:
        return "never"
    seconds = int((datetime.now(UTC) - moment).total_seconds())
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{max(seconds, 0)} s ago"


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—" if value is None else str(value)
    return f"{value:,}".replace(",", " ")


def signed(value: Any) -> str:
    return ("+" if isinstance(value, int) and value > 0 else "") + number(value)


def source_href(connector_id: Any) -> str:
    """Where an event's source is shown: its connector, or the event types for a reported event."""
    text = str(connector_id)
    return "/console/event-types" if text.startswith("type:") else f"/console/connectors/{text}"


env.filters.update(when=when, ago=ago, pretty=pretty, number=number, signed=signed, source_href=source_href)


def page(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
