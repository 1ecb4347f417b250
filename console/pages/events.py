"""The event stream and the request log: filters, live tail, one event's story, replay from here."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.api_client import Answer, call, connector_names
from console.render import page
from console.session import form_lists

EVENT_FILTERS = ("connector", "status", "profile", "test", "since", "until", "before")
REQUEST_FILTERS = ("connector", "status", "refused", "error", "test", "since", "until", "before")
STATUSES = ("processed", "duplicate", "ignored", "parked", "skipped", "rejected", "failed")


def _filters(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.query_params[name] for name in names if request.query_params.get(name)}


async def _connectors(request: Request) -> list[dict[str, Any]]:
    answer = await call(request, "GET", "/api/connectors")
    return answer.body["items"] if answer.ok else []


async def list_events(request: Request) -> Response:
    filters = _filters(request, EVENT_FILTERS)
    answer = await call(request, "GET", "/api/events", query={**filters, "limit": 50})
    connectors = await _connectors(request)
    context = {
        "section": "events",
        "filters": filters,
        "answer": answer,
        "connector_names": await connector_names(request, connectors),
        "events": answer.body["items"] if answer.ok else [],
        "next": answer.body.get("next") if answer.ok else None,
        "statuses": STATUSES,
        "connectors": connectors,
        "live": request.query_params.get("live") == "1",
    }
    # The live tail asks for the table only, every few seconds (htmx).
    name = "_events_table.html" if request.headers.get("hx-request") else "events.html"
    return page(request, name, context, status_code=200 if answer.ok else answer.status)


def member_of(trace: list[dict[str, Any]]) -> str | None:
    """The member's identity value, as the trace's profile step found it."""
    for step in trace:
        if step.get("step") == "profile":
            return step.get("value")
    return None


def awards_of(trace: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for step in trace:
        if step.get("step") == "rules":
            return [r for r in step.get("rules", []) if r.get("points")]
    return []


async def show_event(request: Request) -> Response:
    event_id = request.path_params["event_id"]
    answer = await call(request, "GET", f"/api/events/{event_id}")
    if not answer.ok:
        return page(request, "not_found.html", {"message": answer.message}, status_code=answer.status)
    event = answer.body
    entries: list[dict[str, Any]] = []
    if event.get("profileId") is not None:
        ledger = await call(
            request,
            "GET",
            f"/api/profiles/{event['profileId']}/ledger",
            query={"limit": 500, "test": str(event["test"]).lower()},
        )
        if ledger.ok:
            entries = [e for e in ledger.body["items"] if e["eventId"] == event["id"]]
    return page(
        request,
        "event.html",
        {
            "section": "events",
            "e": event,
            "entries": entries,
            "awards": awards_of(event["trace"] or []),
            "connector_names": await connector_names(request),
            "member": member_of(event["trace"] or []),
        },
    )


async def replay(request: Request) -> Response:
    """Preview (or, with apply, run) a replay of a connector's kept events; htmx swaps the result in."""
    lists = form_lists(request)
    form = {name: values[-1] for name, values in lists.items()}
    connector_id = form.get("connector", "")
    body: dict[str, Any] = {
        "statuses": lists.get("statuses") or ["failed", "rejected", "ignored"],
        "apply": form.get("apply") == "true",
        "limit": 1000,
    }
    for name in ("since", "until"):
        if form.get(name):
            body[name] = form[name]
    answer: Answer = await call(request, "POST", f"/api/connectors/{connector_id}/replay", body)
    return page(
        request,
        "_replay_result.html",
        {"answer": answer, "result": answer.body if answer.ok else None, "form": form, "body": body},
        status_code=200,
    )


async def list_requests(request: Request) -> Response:
    filters = _filters(request, REQUEST_FILTERS)
    answer = await call(request, "GET", "/api/requests", query={**filters, "limit": 50})
    connectors = await _connectors(request)
    return page(
        request,
        "requests.html",
        {
            "section": "requests",
            "filters": filters,
            "answer": answer,
            "requests": answer.body["items"] if answer.ok else [],
            "next": answer.body.get("next") if answer.ok else None,
            "connectors": connectors,
            "connector_names": await connector_names(request, connectors),
        },
        status_code=200 if answer.ok else answer.status,
    )


async def show_request(request: Request) -> Response:
    answer = await call(request, "GET", f"/api/requests/{request.path_params['request_id']}")
    if not answer.ok:
        return page(request, "not_found.html", {"message": answer.message}, status_code=answer.status)
    return page(request, "request.html", {"section": "requests", "r": answer.body})


ROUTES = [
    Route("/events", list_events, methods=["GET"]),
    Route("/events/replay", replay, methods=["POST"]),
    Route("/events/{event_id}", show_event, methods=["GET"]),
    Route("/requests", list_requests, methods=["GET"]),
    Route("/requests/{request_id}", show_request, methods=["GET"]),
]
