"""Rewards, badges and expiry: the catalog members spend their points on, the badges rules and
marketers grant, and when points expire (with a pass run by hand)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.api_client import Answer, call
from console.render import page
from console.session import form_of

PERIODS = ("day", "week", "month", "year", "ever")
POLICY_AMOUNT = {"days": "days", "end_of_month": "months", "end_of_year": "years"}


async def _page(
    request: Request,
    *,
    error: Answer | None = None,
    error_for: str = "",
    form: dict[str, Any] | None = None,
    notice: str = "",
    editing: str = "",
    expiry_preview: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """`editing`: the id of the reward whose settings the reward form edits."""
    rewards = await call(request, "GET", "/api/rewards")
    edited = next((r for r in rewards.body["items"] if r["id"] == editing), None)
    if edited is not None and form is None:
        form = _reward_form(edited, _tz(request))
    badges = await call(request, "GET", "/api/badges")
    policy = await call(request, "GET", "/api/expiry-policy")
    rules = await call(request, "GET", "/api/rules")
    return page(
        request,
        "loyalty.html",
        {
            "section": "loyalty",
            "rewards": rewards.body["items"],
            "badges": badges.body["items"],
            "policy": policy.body,
            "periods": PERIODS,
            "timezone": request.app.state.settings.timezone,
            "error": error,
            "error_for": error_for,
            "form": form or {},
            "notice": notice,
            "editing": edited,
            "expiry_preview": expiry_preview,
            "used_by": reacting_rules(rules.body.get("items", [])),
        },
        status_code=status_code,
    )


def reacting_rules(rules: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Reward and badge id -> the rules (not archived) whose reactions issue or grant it: before
    pausing a reward or archiving a badge, a marketer sees which rules count on it."""
    found: dict[str, list[dict[str, Any]]] = {}
    for rule in rules:
        if rule.get("status") == "archived":
            continue
        for reaction in rule.get("reactions") or ():
            for kind in ("reward", "badge"):
                if isinstance(reaction.get(kind), str):
                    found.setdefault(reaction[kind], []).append(rule)
    return found


async def show(request: Request) -> Response:
    preview: dict[str, Any] | None = None
    if request.query_params.get("preview") == "expiry":
        answer = await call(request, "GET", "/api/expiry/preview")
        preview = answer.body if answer.ok else None
    return await _page(request, editing=request.query_params.get("edit", ""), expiry_preview=preview)


def _number(raw: Any) -> Any:
    text = str(raw or "").strip().replace(" ", "")
    if not text:
        return None
    return int(text) if text.lstrip("-").isdigit() else text  # the API names what is wrong


def _tz(request: Request) -> ZoneInfo:
    tz: ZoneInfo = request.app.state.settings.tz
    return tz


def _text(raw: Any) -> str | None:
    text = str(raw or "").strip()
    return text or None


def picked_time(raw: Any, tz: ZoneInfo) -> str | None:
    """A date and time picked in the form (the program's time zone) as the API takes it, with its
    offset; anything else goes as typed, for the API to name what is wrong."""
    text = _text(raw)
    if text is None:
        return None
    try:
        picked = datetime.fromisoformat(text)
    except ValueError:
        return text
    return picked.replace(tzinfo=tz).isoformat() if picked.tzinfo is None else text


def picker_value(value: str | None, tz: ZoneInfo) -> str:
    """An API time as the date-and-time picker shows it, in the program's time zone; with its
    seconds when it has some (set through the API), so saving the form again keeps them."""
    if not value:
        return ""
    local = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(tz)
    return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")


def _reward_body(form: Any, tz: ZoneInfo, *, editing: bool) -> dict[str, Any]:
    """The API body of the reward form. When editing, an emptied field clears that setting."""
    body: dict[str, Any] = {"name": str(form.get("name", "")).strip(), "cost": _number(form.get("cost"))}
    for field in ("description", "imageUrl"):
        if _text(form.get(field)) or editing:
            body[field] = _text(form.get(field))
    for field in ("availableFrom", "availableUntil"):
        if _text(form.get(field)) or editing:
            body[field] = picked_time(form.get(field), tz)
    for field in ("stock", "validDays"):
        if _number(form.get(field)) is not None or editing:
            body[field] = _number(form.get(field))
    if _number(form.get("limitMax")) is not None:
        body["limit"] = {"max": _number(form.get("limitMax")), "period": form.get("limitPeriod", "ever")}
    elif editing:
        body["limit"] = None
    return body


def _reward_form(reward: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """The reward form filled with a reward's settings, as a marketer would type them."""
    limit = reward.get("limit") or {}
    filled = {
        "name": reward["name"],
        "cost": reward["cost"],
        "stock": reward["stock"],
        "limitMax": limit.get("max"),
        "limitPeriod": limit.get("period"),
        "validDays": reward["validDays"],
        "availableFrom": picker_value(reward["availableFrom"], tz),
        "availableUntil": picker_value(reward["availableUntil"], tz),
        "description": reward["description"],
        "imageUrl": reward["imageUrl"],
    }
    return {k: "" if v is None else str(v) for k, v in filled.items()}


async def add_reward(request: Request) -> Response:
    form = form_of(request)
    answer = await call(request, "POST", "/api/rewards", _reward_body(form, _tz(request), editing=False))
    if not answer.ok:
        return await _page(
            request, error=answer, error_for="reward", form=dict(form), status_code=answer.status
        )
    return await _page(request, notice=f"Reward {answer.body['name']} added to the catalog.")


async def edit_reward(request: Request) -> Response:
    reward_id = request.path_params["reward_id"]
    form = form_of(request)
    body = _reward_body(form, _tz(request), editing=True)
    answer = await call(request, "PATCH", f"/api/rewards/{reward_id}", body)
    if not answer.ok:
        return await _page(
            request,
            error=answer,
            error_for="reward",
            form=dict(form),
            editing=reward_id,
            status_code=answer.status,
        )
    return await _page(request, notice=f"Reward {answer.body['name']} saved.")


async def reward_status(request: Request) -> Response:
    reward_id = request.path_params["reward_id"]
    status = form_of(request).get("status", "")
    answer = await call(request, "PATCH", f"/api/rewards/{reward_id}", {"status": status})
    if not answer.ok:
        return await _page(request, error=answer, error_for="reward", status_code=answer.status)
    return await _page(request, notice=f"Reward {answer.body['name']} is {answer.body['status']}.")


async def badge_status(request: Request) -> Response:
    badge_id = request.path_params["badge_id"]
    status = form_of(request).get("status", "")
    answer = await call(request, "PATCH", f"/api/badges/{badge_id}", {"status": status})
    if not answer.ok:
        return await _page(request, error=answer, error_for="badge", status_code=answer.status)
    what = "archived: rules and people can no longer grant it" if status == "archived" else "active again"
    return await _page(request, notice=f"Badge {answer.body['name']} is {what}.")


async def add_badge(request: Request) -> Response:
    form = form_of(request)
    body: dict[str, Any] = {
        "name": str(form.get("badgeName", "")).strip(),
        "repeatable": form.get("repeatable") == "on",
    }
    for field, key in (("badgeDescription", "description"), ("badgeImageUrl", "imageUrl")):
        if _text(form.get(field)):
            body[key] = _text(form.get(field))
    answer = await call(request, "POST", "/api/badges", body)
    if not answer.ok:
        return await _page(
            request, error=answer, error_for="badge", form=dict(form), status_code=answer.status
        )
    return await _page(request, notice=f"Badge {answer.body['name']} created.")


async def set_policy(request: Request) -> Response:
    form = form_of(request)
    kind = str(form.get("kind", "never"))
    body: dict[str, Any] = {"kind": kind}
    if kind in POLICY_AMOUNT:
        body[POLICY_AMOUNT[kind]] = _number(form.get("amount"))
    answer = await call(request, "PUT", "/api/expiry-policy", body)
    if not answer.ok:
        return await _page(
            request, error=answer, error_for="expiry", form=dict(form), status_code=answer.status
        )
    return await _page(request, notice=f"Expiry policy saved: {answer.body['description']}.")


async def run_expiry(request: Request) -> Response:
    answer = await call(request, "POST", "/api/expiry/run", {})
    if not answer.ok:
        return await _page(request, error=answer, error_for="expiry", status_code=answer.status)
    done = answer.body
    notice = (
        f"Expiry pass done: {done['points']} points of {done['members']} members expired, "
        f"and {done['rewards']} issued rewards past their validity."
    )
    return await _page(request, notice=notice)


ROUTES = [
    Route("/rewards", show, methods=["GET"]),
    Route("/rewards", add_reward, methods=["POST"]),
    Route("/rewards/{reward_id}", edit_reward, methods=["POST"]),
    Route("/rewards/{reward_id}/status", reward_status, methods=["POST"]),
    Route("/badges", add_badge, methods=["POST"]),
    Route("/badges/{badge_id}/status", badge_status, methods=["POST"]),
    Route("/expiry", set_policy, methods=["POST"]),
    Route("/expiry/run", run_expiry, methods=["POST"]),
]
