"""Connectors: the list, the create wizard, one connector's page (auth, credentials, status, purge)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from connectors.presets import PRESETS, SDK_PRESETS
from console.api_client import Answer, call
from console.render import page
from console.session import form_of

STARTER_MAPPING = """{
  "clientEventId": id,
  "profile": {"kind": "default", "value": email},
  "payload": {
    "timestamp": timestamp,
    "tags": [{"name": "action", "value": action}],
    "counters": [{"name": "amount", "value": amount}]
  }
}"""

SDK_CHOICES = {
    "segment-sdk": ("Segment SDK", "analytics-python, analytics-node: the token is the write key."),
    "rudderstack-sdk": ("RudderStack SDK", "rudder-sdk-python, rudder-sdk-node: the token is the write key."),
    "jitsu": ("Jitsu", "@jitsu/js: the token (key:secret) is the write key."),
}

METHODS = {
    "query_token": ("Token in the URL", "Tag managers, pixels and tools that only let you set a URL."),
    "header_token": ("Token in a header", "CDPs, CRMs and your own backend."),
    "basic": ("Write key (HTTP Basic)", "CDP SDKs: Segment and RudderStack send their write key so."),
    "hub_signature": ("Signed body (HMAC)", "Webhooks that sign their body; describe the scheme yourself."),
}


def _auth_from_form(form: dict[str, str]) -> dict[str, Any]:
    choice = form.get("auth", "query_token")
    if choice.startswith("preset:"):
        name = choice.removeprefix("preset:")
        return {"preset": name} if name in SDK_PRESETS else {"method": "hub_signature", "preset": name}
    auth: dict[str, Any] = {"method": choice}
    if choice == "query_token" and form.get("param"):
        auth["param"] = form["param"]
    if choice == "header_token":
        if form.get("header"):
            auth["header"] = form["header"]
        if form.get("scheme"):
            auth["scheme"] = form["scheme"]
    if choice == "hub_signature" and form.get("header"):
        auth["header"] = form["header"]
    return auth


async def _event_types(request: Request) -> list[dict[str, Any]]:
    return (await call(request, "GET", "/api/event-types")).body["items"]


async def list_connectors(request: Request) -> Response:
    answer = await call(request, "GET", "/api/connectors")
    stats = (await call(request, "GET", "/api/stats/overview", query={"hours": 24})).body
    rows = []
    for connector in answer.body["items"]:
        latest = await call(request, "GET", "/api/events", query={"connector": connector["id"], "limit": 1})
        items = latest.body["items"] if latest.ok else []
        totals = stats["eventTotals"].get(connector["id"], {})
        refused = next(
            (
                c["refusedRequests"]
                for c in stats["connectorsWithFailures"]
                if c["connectorId"] == connector["id"]
            ),
            0,
        )
        rows.append(
            {
                **connector,
                "lastEventAt": items[0]["receivedAt"] if items else None,
                "accepted24h": sum(totals.values()),
                "failed24h": totals.get("failed", 0) + totals.get("rejected", 0) + refused,
            }
        )
    return page(request, "connectors.html", {"section": "connectors", "connectors": rows})


async def new_connector(request: Request) -> Response:
    choice = request.query_params.get("auth", "")
    return page(request, "connector_new.html", await _wizard_context(request, choice, {}, None))


async def _wizard_context(
    request: Request, choice: str, form: dict[str, str], error: Answer | None
) -> dict[str, Any]:
    preset = PRESETS.get(choice.removeprefix("preset:")) if choice.startswith("preset:") else None
    return {
        "section": "connectors",
        "step": 2 if choice else 1,
        "choice": choice,
        "methods": METHODS,
        "presets": sorted(PRESETS.values(), key=lambda p: p.vendor.lower()),
        "sdk_presets": SDK_CHOICES,
        "preset": preset,
        "event_types": await _event_types(request),
        "form": {"mapping": STARTER_MAPPING, "eventType": "custom.basic", "test": "on", **form},
        "error": error,
    }


async def create_connector(request: Request) -> Response:
    form = form_of(request)
    choice = form.get("auth", "query_token")
    body: dict[str, Any] = {
        "name": form.get("name", ""),
        "auth": _auth_from_form(form),
        "mapping": form.get("mapping", ""),
        "eventType": form.get("eventType", "custom.basic"),
        "testSecret": form.get("test") == "on",
    }
    if form.get("secret", "").strip():
        body["secret"] = form["secret"].strip()
    answer = await call(request, "POST", "/api/connectors", body)
    if not answer.ok:
        context = await _wizard_context(request, choice, form, answer)
        return page(request, "connector_new.html", context, status_code=answer.status)
    return page(
        request,
        "connector_created.html",
        {"section": "connectors", "connector": answer.body, "credentials": answer.body["credentials"]},
        status_code=201,
    )


async def _connector_page(
    request: Request,
    connector_id: str,
    *,
    notice: str = "",
    error: Answer | None = None,
    new_credential: dict[str, Any] | None = None,
    share_link: str = "",
    auth_text: str | None = None,
    status_code: int = 200,
) -> Response:
    answer = await call(request, "GET", f"/api/connectors/{connector_id}")
    if not answer.ok:
        return page(request, "not_found.html", {"message": answer.message}, status_code=answer.status)
    connector = answer.body
    recent = await call(request, "GET", "/api/requests", query={"connector": connector_id, "limit": 10})
    versions = await call(request, "GET", f"/api/connectors/{connector_id}/mapping-versions")
    return page(
        request,
        "connector.html",
        {
            "section": "connectors",
            "c": connector,
            "auth_json": auth_text if auth_text is not None else json.dumps(connector["auth"], indent=2),
            "requests": recent.body["items"] if recent.ok else [],
            "versions": list(reversed(versions.body["items"])) if versions.ok else [],
            "notice": notice,
            "error": error,
            "new_credential": new_credential,
            "share_link": share_link,
        },
        status_code=status_code,
    )


async def show_connector(request: Request) -> Response:
    return await _connector_page(request, request.path_params["connector_id"])


async def add_credential(request: Request) -> Response:
    connector_id = request.path_params["connector_id"]
    test = form_of(request).get("test") == "true"
    answer = await call(request, "POST", f"/api/connectors/{connector_id}/credentials", {"test": test})
    if not answer.ok:
        return await _connector_page(request, connector_id, error=answer, status_code=answer.status)
    return await _connector_page(request, connector_id, new_credential=answer.body, status_code=201)


async def revoke_credential(request: Request) -> Response:
    connector_id = request.path_params["connector_id"]
    credential_id = request.path_params["credential_id"]
    answer = await call(request, "DELETE", f"/api/connectors/{connector_id}/credentials/{credential_id}")
    if not answer.ok:
        return await _connector_page(request, connector_id, error=answer, status_code=answer.status)
    return await _connector_page(request, connector_id, notice=f"Credential {credential_id} revoked.")


async def set_status(request: Request) -> Response:
    connector_id = request.path_params["connector_id"]
    action = "enable" if form_of(request).get("status") == "active" else "disable"
    answer = await call(request, "POST", f"/api/connectors/{connector_id}/{action}")
    if not answer.ok:
        return await _connector_page(request, connector_id, error=answer, status_code=answer.status)
    return RedirectResponse(f"/console/connectors/{connector_id}", status_code=303)


async def update_auth(request: Request) -> Response:
    connector_id = request.path_params["connector_id"]
    raw = form_of(request).get("auth", "")
    try:
        auth = json.loads(raw)
    except ValueError as exc:
        answer = Answer(
            400, {"error": {"code": "malformed_body", "message": f"auth: not valid JSON ({exc})"}}
        )
        return await _connector_page(request, connector_id, error=answer, auth_text=raw, status_code=400)
    answer = await call(request, "PATCH", f"/api/connectors/{connector_id}", {"auth": auth})
    if not answer.ok:
        return await _connector_page(
            request, connector_id, error=answer, auth_text=raw, status_code=answer.status
        )
    return await _connector_page(request, connector_id, notice="Authentication saved.")


async def purge(request: Request) -> Response:
    connector_id = request.path_params["connector_id"]
    answer = await call(request, "POST", f"/api/connectors/{connector_id}/purge-test-data")
    if not answer.ok:
        return await _connector_page(request, connector_id, error=answer, status_code=answer.status)
    words = {"pointsEntries": "points entries"}
    summary = ", ".join(f"{count} {words.get(what, what)}" for what, count in answer.body["purged"].items())
    return await _connector_page(request, connector_id, notice=f"Test data purged: {summary or 'nothing'}.")


async def share(request: Request) -> Response:
    connector_id = request.path_params["connector_id"]
    days = form_of(request).get("days", "7")
    body = {"days": int(days)} if days.isdigit() else {"days": days}
    answer = await call(request, "POST", f"/api/connectors/{connector_id}/share-links", body)
    if not answer.ok:
        return await _connector_page(request, connector_id, error=answer, status_code=answer.status)
    return await _connector_page(
        request,
        connector_id,
        share_link=answer.body["url"],
        notice=f"Shared link created; it works until {answer.body['expiresAt']}.",
    )


async def rotate_share(request: Request) -> Response:
    connector_id = request.path_params["connector_id"]
    answer = await call(request, "POST", f"/api/connectors/{connector_id}/share-links/rotate")
    if not answer.ok:
        return await _connector_page(request, connector_id, error=answer, status_code=answer.status)
    return await _connector_page(request, connector_id, notice="Every shared link given so far is revoked.")


ROUTES = [
    Route("/connectors/{connector_id}/share", share, methods=["POST"]),
    Route("/connectors/{connector_id}/share/rotate", rotate_share, methods=["POST"]),
    Route("/connectors", list_connectors, methods=["GET"]),
    Route("/connectors/new", new_connector, methods=["GET"]),
    Route("/connectors/new", create_connector, methods=["POST"]),
    Route("/connectors/{connector_id}", show_connector, methods=["GET"]),
    Route("/connectors/{connector_id}/credentials", add_credential, methods=["POST"]),
    Route(
        "/connectors/{connector_id}/credentials/{credential_id}/revoke", revoke_credential, methods=["POST"]
    ),
    Route("/connectors/{connector_id}/status", set_status, methods=["POST"]),
    Route("/connectors/{connector_id}/auth", update_auth, methods=["POST"]),
    Route("/connectors/{connector_id}/purge", purge, methods=["POST"]),
]
