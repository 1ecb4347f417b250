"""Members: search by the start of an identity; one member's identities, attributes, balance,
ledger and activity, badges, rewards and expiring points; adjustments, events reported by hand,
badges granted and rewards bought by hand, access tokens, merge and erase."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.api_client import Answer, call, connector_names
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
    new_token: str = "",
    error_for: str = "adjust",
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
    connectors = await connector_names(request)
    member = await call(request, "GET", f"/api/members/{profile_id}")
    tokens = await call(request, "GET", f"/api/members/{profile_id}/tokens")
    types = (await call(request, "GET", "/api/event-types")).body["items"]
    on_test = {"test": flag}
    badges = await call(request, "GET", f"/api/members/{profile_id}/badges", query=on_test)
    rewards = await call(request, "GET", f"/api/members/{profile_id}/rewards", query=on_test)
    expiring = await call(request, "GET", f"/api/members/{profile_id}/expiring", query=on_test)
    catalog = (await call(request, "GET", "/api/rewards", query={"status": "active"})).body["items"]
    all_badges = [
        b for b in (await call(request, "GET", "/api/badges")).body["items"] if b["status"] == "active"
    ]
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
            "member": member.body if member.ok else None,
            "tokens": tokens.body["items"] if tokens.ok else [],
            "new_token": new_token,
            "error_for": error_for,  # which form shows the error
            "reportable": [t["name"] for t in types if t["reporting"] in ("public", "private")],
            "badges": badges.body["items"] if badges.ok else [],
            "rewards": rewards.body["items"] if rewards.ok else [],
            "expiring": expiring.body if expiring.ok else None,
            "catalog": catalog,
            "all_badges": all_badges,
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


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _json_field(raw: str) -> Any:
    """A JSON form field; text that is not JSON goes to the API as it is, which names the problem."""
    text = raw.strip()
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text


async def report_event(request: Request) -> Response:
    profile_id = request.path_params["profile_id"]
    form = form_of(request)
    body: dict[str, Any] = {"type": form.get("type", ""), "payload": _json_field(form.get("payload", ""))}
    if form.get("occurredAt", "").strip():
        body["occurredAt"] = form["occurredAt"].strip()
    if form.get("test") == "on":
        body["test"] = True
    answer = await call(request, "POST", f"/api/members/{profile_id}/events", body)
    if not answer.ok:
        return await _member_page(
            request, profile_id, error=answer, form=form, status_code=answer.status, error_for="report"
        )
    points = sum(a["points"] for a in answer.body.get("awards", []))
    data = "test data, " if answer.body.get("test") else ""
    notice = f"Reported {body['type']} as event #{answer.body['eventId']} ({data}{points:+d} points)."
    return await _member_page(request, profile_id, notice=notice)


async def issue_token(request: Request) -> Response:
    profile_id = request.path_params["profile_id"]
    answer = await call(request, "POST", f"/api/members/{profile_id}/tokens", {})
    if not answer.ok:
        return await _member_page(
            request, profile_id, error=answer, status_code=answer.status, error_for="merge"
        )
    return await _member_page(request, profile_id, new_token=answer.body["token"])


async def revoke_token(request: Request) -> Response:
    profile_id, token_id = request.path_params["profile_id"], request.path_params["token_id"]
    answer = await call(request, "DELETE", f"/api/members/{profile_id}/tokens/{token_id}")
    if not answer.ok:
        return await _member_page(
            request, profile_id, error=answer, status_code=answer.status, error_for="merge"
        )
    return await _member_page(request, profile_id, notice=f"Token {token_id} revoked.")


async def merge(request: Request) -> Response:
    profile_id = request.path_params["profile_id"]
    form = form_of(request)
    raw = form.get("memberId", "").strip().lstrip("#")
    answer = await call(
        request, "POST", f"/api/members/{profile_id}/merge", {"memberId": int(raw) if raw.isdigit() else raw}
    )
    if not answer.ok:
        return await _member_page(
            request, profile_id, error=answer, form=form, status_code=answer.status, error_for="merge"
        )
    moved = answer.body["merged"]
    notice = (
        f"Member #{moved['memberId']} merged in: {_count(moved['events'], 'event')} and "
        f"{_count(moved['pointsEntries'], 'ledger entry', 'ledger entries')} moved; the balance is now "
        f"{answer.body['balance']}."
    )
    return await _member_page(request, profile_id, notice=notice)


async def erase(request: Request) -> Response:
    profile_id = request.path_params["profile_id"]
    answer = await call(request, "POST", f"/api/members/{profile_id}/erase", {})
    if not answer.ok:
        return await _member_page(
            request, profile_id, error=answer, status_code=answer.status, error_for="merge"
        )
    erased = answer.body["erased"]
    notice = (
        f"Personal data erased: {_count(erased['identities'], 'identity', 'identities')}, and the payloads "
        f"of {_count(erased['events'], 'event')}."
    )
    return await _member_page(request, profile_id, notice=notice)


async def grant_badge(request: Request) -> Response:
    profile_id = request.path_params["profile_id"]
    form = form_of(request)
    body: dict[str, Any] = {"badge": form.get("badge", ""), "test": form.get("test") == "true"}
    if form.get("note", "").strip():
        body["note"] = form["note"].strip()
    answer = await call(request, "POST", f"/api/members/{profile_id}/badges", body)
    if not answer.ok:
        return await _member_page(
            request, profile_id, error=answer, form=form, status_code=answer.status, error_for="badge"
        )
    return await _member_page(request, profile_id, notice=f"Badge {answer.body['name']} granted.")


async def buy_reward(request: Request) -> Response:
    profile_id = request.path_params["profile_id"]
    form = form_of(request)
    body = {"reward": form.get("reward", ""), "test": form.get("test") == "true"}
    answer = await call(request, "POST", f"/api/members/{profile_id}/reward-purchases", body)
    if not answer.ok:
        return await _member_page(
            request, profile_id, error=answer, form=form, status_code=answer.status, error_for="reward"
        )
    issued = answer.body
    notice = (
        f"{issued['name']} bought for {issued['cost']} points: code {issued['code']}; "
        f"the balance is now {issued['balance']}."
    )
    return await _member_page(request, profile_id, notice=notice)


async def change_reward(request: Request) -> Response:
    """Cancel (points and stock come back) or redeem one of the member's rewards."""
    profile_id, issued_id = request.path_params["profile_id"], request.path_params["issued_id"]
    action = request.path_params["action"]
    if action not in ("cancel", "redeem"):
        return page(request, "not_found.html", {"message": f"no action {action!r}"}, status_code=404)
    answer = await call(request, "POST", f"/api/issued-rewards/{issued_id}/{action}", {})
    if not answer.ok:
        return await _member_page(
            request, profile_id, error=answer, status_code=answer.status, error_for="reward"
        )
    done = "cancelled: its points are back" if action == "cancel" else "redeemed"
    return await _member_page(
        request, profile_id, notice=f"{answer.body['name']} ({answer.body['code']}) {done}."
    )


ROUTES = [
    Route("/members", search, methods=["GET"]),
    Route("/members/{profile_id}", show_member, methods=["GET"]),
    Route("/members/{profile_id}/adjust", adjust, methods=["POST"]),
    Route("/members/{profile_id}/report", report_event, methods=["POST"]),
    Route("/members/{profile_id}/tokens", issue_token, methods=["POST"]),
    Route("/members/{profile_id}/tokens/{token_id}/revoke", revoke_token, methods=["POST"]),
    Route("/members/{profile_id}/merge", merge, methods=["POST"]),
    Route("/members/{profile_id}/erase", erase, methods=["POST"]),
    Route("/members/{profile_id}/badges", grant_badge, methods=["POST"]),
    Route("/members/{profile_id}/purchase", buy_reward, methods=["POST"]),
    Route("/members/{profile_id}/rewards/{issued_id}/{action}", change_reward, methods=["POST"]),
]
