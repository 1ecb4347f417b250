"""Earning rules: the list, the builder (a form with its JSON beside it), preview, versions."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from console.api_client import Answer, call
from console.render import page
from console.session import form_of
from earning_rules import COUNTER_OPS, PERIODS, ROUNDINGS, TAG_OPS

NEW_RULE = {
    "name": "",
    "status": "draft",
    "priority": 0,
    "stop": False,
    "source": {"any": True},
    "conditions": None,
    "reward": {"fixed": 10},
    "limits": [],
}


async def list_rules(request: Request) -> Response:
    answer = await call(request, "GET", "/api/rules")
    stats = (await call(request, "GET", "/api/stats/overview", query={"hours": 24})).body
    points = {r["ruleId"]: r for r in stats["pointsPerRule"]}
    rules = sorted(answer.body["items"], key=lambda r: (-r["priority"], r["id"]))
    return page(request, "rules.html", {"section": "rules", "rules": rules, "points": points})


async def _form_context(
    request: Request, rule: dict[str, Any], error: Answer | None = None
) -> dict[str, Any]:
    connectors = (await call(request, "GET", "/api/connectors")).body["items"]
    event_types = (await call(request, "GET", "/api/event-types")).body["items"]
    versions: list[dict[str, Any]] = []
    if rule.get("id"):
        answer = await call(request, "GET", f"/api/rules/{rule['id']}/versions")
        versions = list(reversed(answer.body["items"])) if answer.ok else []
    editable = {k: v for k, v in rule.items() if k not in ("id", "version", "createdAt", "updatedAt")}
    return {
        "section": "rules",
        "rule": rule,
        "definition_json": json.dumps(editable, indent=2, ensure_ascii=False),
        "connectors": connectors,
        "event_types": event_types,
        "versions": versions,
        "error": error,
        "vocab": {
            "tag_ops": list(TAG_OPS),
            "counter_ops": list(COUNTER_OPS),
            "periods": list(PERIODS),
            "roundings": list(ROUNDINGS),
            "timezone": request.app.state.settings.timezone,
        },
        "timezone": request.app.state.settings.timezone,
    }


async def new_rule(request: Request) -> Response:
    rule = dict(NEW_RULE)
    if request.query_params.get("connector"):
        rule["source"] = {"connector": request.query_params["connector"]}
    return page(request, "rule_form.html", await _form_context(request, rule))


async def edit_rule(request: Request) -> Response:
    answer = await call(request, "GET", f"/api/rules/{request.path_params['rule_id']}")
    if not answer.ok:
        return page(request, "not_found.html", {"message": answer.message}, status_code=answer.status)
    return page(request, "rule_form.html", await _form_context(request, answer.body))


def _definition(form: dict[str, str]) -> tuple[Any, Answer | None]:
    try:
        return json.loads(form.get("definition", "")), None
    except ValueError as exc:
        return None, Answer(
            400, {"error": {"code": "malformed_body", "message": f"rule: not valid JSON ({exc})"}}
        )


async def save_rule(request: Request) -> Response:
    form = form_of(request)
    rule_id = request.path_params.get("rule_id")
    definition, error = _definition(form)
    if error is None:
        if rule_id:
            error = await call(request, "PATCH", f"/api/rules/{rule_id}", definition)
        else:
            error = await call(request, "POST", "/api/rules", definition)
        if error.ok:
            return RedirectResponse(f"/console/rules/{error.body['id']}?saved=1", status_code=303)
    shown = {**(definition if isinstance(definition, dict) else {}), "id": rule_id} if rule_id else definition
    context = await _form_context(request, shown if isinstance(shown, dict) else dict(NEW_RULE), error)
    context["definition_json"] = form.get("definition", "")
    return page(request, "rule_form.html", context, status_code=error.status if error else 400)


async def preview_rule(request: Request) -> Response:
    definition, error = _definition(form_of(request))
    answer = error or await call(request, "POST", "/api/rules/preview", {"rule": definition, "limit": 50})
    return page(request, "_rule_preview.html", {"answer": answer, "p": answer.body if answer.ok else None})


ROUTES = [
    Route("/rules", list_rules, methods=["GET"]),
    Route("/rules/new", new_rule, methods=["GET"]),
    Route("/rules/new", save_rule, methods=["POST"]),
    Route("/rules/preview", preview_rule, methods=["POST"]),
    Route("/rules/{rule_id}", edit_rule, methods=["GET"]),
    Route("/rules/{rule_id}", save_rule, methods=["POST"]),
]
