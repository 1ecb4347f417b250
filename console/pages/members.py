"""Members: search by the start of an identity, one member's balance, ledger, activity, adjustments."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.api_client import Answer, call
from console.render import page
from console.session import form_of


async def search(request: Request) -> Response:
    prefix = request.query_params.get("q", "").strip()
    answer = None
    if prefix:
        answer = await call(request, "GET", "/api/profiles/search", query={"prefix": prefix, "limit": 50})
    return page(
        request,
        "members.html",
        {
            "section": "members",
            "q": prefix,
            "answer": answer,
            "members": answer.body["items"] if answer and answer.ok else [],
        },
    )


async def _member_page(
    request: Request,
    profile_id: str,
    *,
    error: Answer | None = None,
    notice: str = "",
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    test = request.query_params.get("test") == "true"
    profile = await call(request, "GET", f"/api/profiles/{profile_id}")
    if not profile.ok:
        return page(request, "not_found.html", {"message": profile.message}, status_code=profile.status)
    flag = str(test).lower()
    ledger = await call(
        request, "GET", f"/api/profiles/{profile_id}/ledger", query={"limit": 100, "test": flag}
    )
    activity = await call(
        request, "GET", f"/api/profiles/{profile_id}/events", query={"limit": 50, "test": flag}
    )
    rules = {r["id"]: r["name"] for r in (await call(request, "GET", "/api/rules")).body["items"]}
    connectors = {c["id"]: c["name"] for c in (await call(request, "GET", "/api/connectors")).body["items"]}
    return page(
        request,
        "member.html",
        {
            "section": "members",
            "m": profile.body,
            "test": test,
            "entries": ledger.body["items"],
            "balance": ledger.body["balance"],
            "lifetime": ledger.body["lifetimePoints"],
            "events": activity.body["items"],
            "rule_names": rules,
            "connector_names": connectors,
            "error": error,
            "notice": notice,
            "form": form or {},
        },
        status_code=status_code,
    )


async def show_member(request: Request) -> Response:
    return await _member_page(request, request.path_params["profile_id"])


def _points(raw: str) -> Any:
    text = raw.strip().replace(" ", "")
    try:
        return int(text)
    except ValueError:
        return text  # the API names it: "points: 'ten' must be a whole number other than 0"


async def adjust(request: Request) -> Response:
    profile_id = request.path_params["profile_id"]
    form = form_of(request)
    body = {
        "points": _points(form.get("points", "")),
        "reason": form.get("reason", ""),
        "admin": request.session.get("name") or "console",
        "test": form.get("test") == "true",
    }
    answer = await call(request, "POST", f"/api/profiles/{profile_id}/adjustments", body)
    if not answer.ok:
        return await _member_page(request, profile_id, error=answer, form=form, status_code=answer.status)
    notice = f"Adjusted by {answer.body['points']:+d} points; the balance is now {answer.body['balance']}."
    return await _member_page(request, profile_id, notice=notice)


ROUTES = [
    Route("/members", search, methods=["GET"]),
    Route("/members/{profile_id}", show_member, methods=["GET"]),
    Route("/members/{profile_id}/adjust", adjust, methods=["POST"]),
]
