"""Admin keys and the audit log (owners): make and revoke keys, read who changed what."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.api_client import Answer, call
from console.render import page
from console.session import form_of

ROLES = ("viewer", "marketer", "developer", "owner")


async def _admin_page(
    request: Request,
    *,
    error: Answer | None = None,
    new_key: dict[str, object] | None = None,
    status: int = 200,
) -> Response:
    keys = await call(request, "GET", "/api/admin-keys")
    filters = {k: request.query_params[k] for k in ("key", "path") if request.query_params.get(k)}
    audit = await call(request, "GET", "/api/audit", query={**filters, "limit": 100})
    return page(
        request,
        "admin.html",
        {
            "section": "admin",
            "keys": keys,
            "audit": audit,
            "filters": filters,
            "roles": ROLES,
            "error": error,
            "new_key": new_key,
        },
        status_code=status if keys.ok else keys.status,
    )


async def show(request: Request) -> Response:
    return await _admin_page(request)


async def create_key(request: Request) -> Response:
    form = form_of(request)
    answer = await call(
        request, "POST", "/api/admin-keys", {"name": form.get("name", ""), "role": form.get("role")}
    )
    if not answer.ok:
        return await _admin_page(request, error=answer, status=answer.status)
    return await _admin_page(request, new_key=answer.body, status=201)


async def revoke_key(request: Request) -> Response:
    answer = await call(request, "DELETE", f"/api/admin-keys/{request.path_params['key_id']}")
    return await _admin_page(
        request, error=None if answer.ok else answer, status=200 if answer.ok else answer.status
    )


ROUTES = [
    Route("/admin", show, methods=["GET"]),
    Route("/admin/keys", create_key, methods=["POST"]),
    Route("/admin/keys/{key_id}/revoke", revoke_key, methods=["POST"]),
]
