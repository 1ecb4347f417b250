"""Event types: what each checks (schema, date bounds), who may report it (connectors, members
with a token, systems with a secret), its enhancers; create one, change a custom one, rotate a
private type's secret."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.api_client import Answer, call
from console.render import page
from console.session import form_of
from event_types.enhancers import KINDS


async def _page(
    request: Request,
    *,
    error: Answer | None = None,
    form: dict[str, Any] | None = None,
    notice: str = "",
    secret: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    answer = await call(request, "GET", "/api/event-types")
    return page(
        request,
        "event_types.html",
        {
            "section": "event_types",
            "types": answer.body["items"],
            "enhancer_kinds": KINDS,
            "error": error,
            "form": form or {},
            "notice": notice,
            "secret": secret,
        },
        status_code=status_code,
    )


async def list_event_types(request: Request) -> Response:
    """The list; with ?edit=<name>, the form holds that custom type as it is now."""
    name = request.query_params.get("edit")
    if not name:
        return await _page(request)
    answer = await call(request, "GET", f"/api/event-types/{name}")
    if not answer.ok or answer.body["builtin"]:
        return await _page(request, error=answer if not answer.ok else None)
    t = answer.body
    form = {
        "original": t["name"],
        "name": t["name"],
        "description": t["description"],
        "reporting": t["reporting"],
        "maxPastSeconds": t["occurredAt"]["maxPastSeconds"] or "",
        "maxFutureSeconds": t["occurredAt"]["maxFutureSeconds"] or "",
        "schema": json.dumps(t["schema"], indent=2),
        **{f"enhancer_{e['kind']}": "on" for e in t["enhancers"]},
    }
    return await _page(request, form=form)


def _seconds(raw: str) -> Any:
    text = raw.strip()
    if not text:
        return None
    return int(text) if text.isdigit() else text  # the API names what is wrong with the rest


def _body(form: dict[str, Any], enhancers: list[str]) -> dict[str, Any]:
    schema_text = str(form.get("schema", "")).strip() or "{}"
    try:
        schema: Any = json.loads(schema_text)
    except ValueError:
        schema = schema_text  # "schema: expected a JSON Schema object", from the API
    return {
        "name": str(form.get("name", "")).strip(),
        "description": str(form.get("description", "")),
        "schema": schema,
        "reporting": form.get("reporting", "connectors"),
        "occurredAt": {
            "maxPastSeconds": _seconds(str(form.get("maxPastSeconds", ""))),
            "maxFutureSeconds": _seconds(str(form.get("maxFutureSeconds", ""))),
        },
        "enhancers": [{"kind": kind} for kind in enhancers],
    }


async def save_event_type(request: Request) -> Response:
    """Create one (no `original`) or replace a custom one (`original` is its name)."""
    form = form_of(request)
    enhancers = [kind for kind in KINDS if form.get(f"enhancer_{kind}") == "on"]
    body = _body(form, enhancers)
    original = str(form.get("original", "")).strip()
    if original:
        body.pop("name")
        answer = await call(request, "PUT", f"/api/event-types/{original}", body)
    else:
        answer = await call(request, "POST", "/api/event-types", body)
    if not answer.ok:
        return await _page(request, error=answer, form=dict(form), status_code=answer.status)
    name = answer.body["name"]
    secret = (name, answer.body["secret"]) if answer.body.get("secret") else None
    return await _page(request, notice=f"Event type {name} saved.", secret=secret)


async def rotate_secret(request: Request) -> Response:
    name = request.path_params["name"]
    answer = await call(request, "POST", f"/api/event-types/{name}/secret", {})
    if not answer.ok:
        return await _page(request, error=answer, status_code=answer.status)
    return await _page(request, notice=f"{name} has a new secret.", secret=(name, answer.body["secret"]))


ROUTES = [
    Route("/event-types", list_event_types, methods=["GET"]),
    Route("/event-types", save_event_type, methods=["POST"]),
    Route("/event-types/{name}/secret", rotate_secret, methods=["POST"]),
]
