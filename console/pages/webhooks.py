"""Outgoing webhooks: endpoints with their health, a new endpoint (its secret shown once), and one
endpoint's delivery log, where a message's attempts are read and a message is sent again."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.api_client import Answer, call
from console.render import page
from console.session import form_of


async def _list(
    request: Request,
    *,
    error: Answer | None = None,
    form: dict[str, Any] | None = None,
    notice: str = "",
    secret: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    answer = await call(request, "GET", "/api/webhook-endpoints")
    return page(
        request,
        "webhooks.html",
        {
            "section": "webhooks",
            "endpoints": answer.body["items"],
            "kinds": answer.body["kinds"],
            "error": error,
            "form": form or {},
            "notice": notice,
            "secret": secret,
        },
        status_code=status_code,
    )


async def list_endpoints(request: Request) -> Response:
    return await _list(request)


async def create_endpoint(request: Request) -> Response:
    form = form_of(request)
    answers = await call(request, "GET", "/api/webhook-endpoints")
    kinds = [kind for kind in answers.body["kinds"] if form.get(f"kind_{kind}") == "on"]
    body: dict[str, Any] = {
        "url": str(form.get("url", "")).strip(),
        "kinds": kinds,
        "test": form.get("test") == "on",
    }
    if str(form.get("description", "")).strip():
        body["description"] = str(form["description"]).strip()
    answer = await call(request, "POST", "/api/webhook-endpoints", body)
    if not answer.ok:
        return await _list(request, error=answer, form=dict(form), status_code=answer.status)
    return await _list(
        request,
        notice=f"Endpoint {answer.body['url']} added.",
        secret=(answer.body["id"], answer.body["secret"]),
    )


async def _detail(
    request: Request,
    endpoint_id: str,
    *,
    error: Answer | None = None,
    notice: str = "",
    secret: str = "",
    status_code: int = 200,
) -> Response:
    endpoint = await call(request, "GET", f"/api/webhook-endpoints/{endpoint_id}")
    if not endpoint.ok:
        return page(request, "not_found.html", {"message": endpoint.message}, status_code=endpoint.status)
    status = request.query_params.get("status") or None
    query = {"limit": 50, **({"status": status} if status else {})}
    messages = await call(request, "GET", f"/api/webhook-endpoints/{endpoint_id}/messages", query=query)
    opened = request.query_params.get("message")
    detail = None
    if opened and opened.isdigit():
        found = await call(request, "GET", f"/api/webhook-messages/{opened}")
        detail = found.body if found.ok and found.body["endpointId"] == endpoint_id else None
    return page(
        request,
        "webhook.html",
        {
            "section": "webhooks",
            "e": endpoint.body,
            "messages": messages.body["items"] if messages.ok else [],
            "status": status,
            "detail": detail,
            "error": error,
            "notice": notice,
            "secret": secret,
        },
        status_code=status_code,
    )


async def show_endpoint(request: Request) -> Response:
    return await _detail(request, request.path_params["endpoint_id"])


async def act(request: Request) -> Response:
    """The endpoint's buttons: enable, disable, send a test, rotate the secret."""
    endpoint_id, action = request.path_params["endpoint_id"], request.path_params["action"]
    base = f"/api/webhook-endpoints/{endpoint_id}"
    if action in ("enable", "disable"):
        answer = await call(request, "PATCH", base, {"status": f"{action}d"})
        notice = f"Endpoint {action}d."
    elif action == "test":
        answer = await call(request, "POST", f"{base}/test", {})
        notice = "A webhook.test message is on its way: it shows below once tried."
    elif action == "rotate":
        answer = await call(request, "POST", f"{base}/rotate-secret", {})
        notice = "New secret: the previous one keeps signing beside it for 24 hours."
    else:
        return page(request, "not_found.html", {"message": f"no action {action!r}"}, status_code=404)
    if not answer.ok:
        return await _detail(request, endpoint_id, error=answer, status_code=answer.status)
    return await _detail(request, endpoint_id, notice=notice, secret=answer.body.get("secret", ""))


async def delete_endpoint(request: Request) -> Response:
    endpoint_id = request.path_params["endpoint_id"]
    answer = await call(request, "DELETE", f"/api/webhook-endpoints/{endpoint_id}")
    if not answer.ok:
        return await _detail(request, endpoint_id, error=answer, status_code=answer.status)
    return await _list(request, notice="Endpoint removed, with its messages.")


async def redeliver(request: Request) -> Response:
    endpoint_id, message_id = request.path_params["endpoint_id"], request.path_params["message_id"]
    answer = await call(request, "POST", f"/api/webhook-messages/{message_id}/redeliver", {})
    if not answer.ok:
        return await _detail(request, endpoint_id, error=answer, status_code=answer.status)
    return await _detail(
        request, endpoint_id, notice=f"Message {answer.body['messageId']} will be sent again now."
    )


ROUTES = [
    Route("/webhooks", list_endpoints, methods=["GET"]),
    Route("/webhooks", create_endpoint, methods=["POST"]),
    Route("/webhooks/{endpoint_id}", show_endpoint, methods=["GET"]),
    Route("/webhooks/{endpoint_id}/delete", delete_endpoint, methods=["POST"]),
    Route("/webhooks/{endpoint_id}/messages/{message_id}/redeliver", redeliver, methods=["POST"]),
    Route("/webhooks/{endpoint_id}/{action}", act, methods=["POST"]),
]
