"""The mapping playground: a JSONata editor beside a payload; every change runs a dry run.

Output: the mapped events, shape errors, a JSONata error with a caret at its position, the rule
trace and the points that would be awarded. Saving runs the samples check and shows what moved.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cli_tools.caret import point_at
from console.api_client import Answer, call
from console.pages.connectors import STARTER_MAPPING
from console.render import page
from console.session import form_of

EXAMPLE_BODY = """{
  "id": "evt-1001",
  "email": "ann@example.com",
  "timestamp": "2026-12-01T10:15:00Z",
  "action": "purchase",
  "amount": 42.5
}"""


async def playground(request: Request) -> Response:
    connector_id = request.query_params.get("connector", "")
    connectors = (await call(request, "GET", "/api/connectors")).body["items"]
    event_types = (await call(request, "GET", "/api/event-types")).body["items"]
    context: dict[str, Any] = {
        "section": "playground",
        "connectors": connectors,
        "event_types": event_types,
        "connector": None,
        "mapping": "",
        "body": EXAMPLE_BODY,
        "samples": [],
        "recent": [],
        "versions": [],
        "diff": None,
    }
    context["mapping"] = STARTER_MAPPING
    if connector_id:
        answer = await call(request, "GET", f"/api/connectors/{connector_id}")
        if not answer.ok:
            return page(request, "not_found.html", {"message": answer.message}, status_code=answer.status)
        connector = answer.body
        context["connector"] = connector
        context["mapping"] = connector["mapping"]
        samples = (await call(request, "GET", f"/api/connectors/{connector_id}/samples")).body["items"]
        recent = (
            await call(request, "GET", f"/api/connectors/{connector_id}/recent-requests", query={"limit": 20})
        ).body["items"]
        versions = (await call(request, "GET", f"/api/connectors/{connector_id}/mapping-versions")).body[
            "items"
        ]
        context.update(samples=samples, recent=recent, versions=list(reversed(versions)))
        if samples:
            context["body"] = json.dumps(samples[-1]["body"], indent=2, ensure_ascii=False)
        elif recent:
            context["body"] = json.dumps(recent[0]["raw"], indent=2, ensure_ascii=False)
        wanted = request.query_params.get("version", "")
        chosen = next((v for v in versions if str(v["version"]) == wanted), None)
        if chosen is not None and chosen["version"] != connector["mappingVersion"]:
            context["diff"] = {
                "version": chosen["version"],
                "lines": diff_lines(chosen["mapping"], connector["mapping"]),
            }
    return page(request, "playground.html", context)


# Characters of a mapping line shown around an error's caret: the box beside the mapping holds
# about that many without wrapping (a wrapped line leaves the caret under the wrong column).
CARET_WIDTH = 40


def diff_lines(before: str, after: str) -> list[tuple[str, str]]:
    """(kind, text) per line of a unified diff: kind is add, del, or same."""
    lines = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=3):
        if line.startswith(("---", "+++", "@@")):
            continue
        kind = {"+": "add", "-": "del"}.get(line[:1], "same")
        lines.append((kind, line[1:]))
    return lines


def _json_field(form: dict[str, str], name: str) -> tuple[Any, str | None]:
    raw = form.get(name, "").strip()
    if not raw:
        return {}, None
    try:
        return json.loads(raw), None
    except ValueError as exc:
        return None, f"{name}: not valid JSON ({exc})"


def dry_run_input(form: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    problems = []
    headers, problem = _json_field(form, "headers")
    if problem:
        problems.append(problem)
    query, problem = _json_field(form, "query")
    if problem:
        problems.append(problem)
    data: dict[str, Any] = {
        "mapping": form.get("mapping", ""),
        "bodyText": form.get("body", ""),
        "contentType": form.get("contentType") or "application/json",
        "includeStatuses": ["active", "draft"] if form.get("drafts") == "on" else ["active"],
    }
    if headers:
        data["headers"] = headers
    if query:
        data["query"] = query
    return data, problems


def caret_of(answer: Answer, mapping: str) -> str | None:
    error = answer.error or {}
    position = (error.get("details") or {}).get("position")
    if error.get("code", "").startswith("mapping_") and isinstance(position, int):
        return point_at(mapping, position, width=CARET_WIDTH)
    return None


async def run(request: Request) -> Response:
    form = form_of(request)
    data, problems = dry_run_input(form)
    connector_id = form.get("connector", "")
    if problems:
        return page(request, "_playground_result.html", {"problems": problems})
    if connector_id:
        answer = await call(request, "POST", f"/api/connectors/{connector_id}/mapping-preview", data)
    else:
        answer = await call(request, "POST", "/api/dry-run", {**data, "eventType": form.get("eventType")})
    report = answer.body if answer.ok else None
    results = report["results"] if report else []
    for result in results:
        error = result.get("error") or {}
        position = (error.get("details") or {}).get("position")
        result["caret"] = (
            point_at(data["mapping"], position, width=CARET_WIDTH) if isinstance(position, int) else None
        )
    return page(
        request,
        "_playground_result.html",
        {
            "answer": answer,
            "report": report,
            "results": results,
            "caret": caret_of(answer, data["mapping"]),
            "points": sum(a["points"] for r in results for a in (r.get("awards") or [])),
            "problems": [],
            "connector_id": connector_id,
        },
    )


async def save(request: Request) -> Response:
    form = form_of(request)
    connector_id = form.get("connector", "")
    body: dict[str, Any] = {"mapping": form.get("mapping", "")}
    if form.get("accept") == "true":
        body["acceptSampleChanges"] = True
    answer = await call(request, "PATCH", f"/api/connectors/{connector_id}", body)
    changed = []
    if not answer.ok and answer.error and answer.error.get("code") == "samples_changed":
        changed = (answer.error.get("details") or {}).get("samples", [])
    return page(
        request,
        "_playground_saved.html",
        {
            "answer": answer,
            "changed": changed,
            "caret": caret_of(answer, body["mapping"]),
            "connector_id": connector_id,
        },
    )


ROUTES = [
    Route("/playground", playground, methods=["GET"]),
    Route("/playground/run", run, methods=["POST"]),
    Route("/playground/save", save, methods=["POST"]),
]
