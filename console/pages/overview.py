"""The overview: the last 24 hours as charts, each linking to the list behind it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.api_client import call, connector_names
from console.render import page

MIN_MINUTES = 60  # the shortest axis the charts show
STATUSES = ("processed", "duplicate", "ignored", "parked", "skipped", "rejected", "failed")


def _minutes(since: datetime, until: datetime) -> list[str]:
    start = since.replace(second=0, microsecond=0) + timedelta(minutes=1)
    count = int((until - start).total_seconds() // 60) + 1
    return [(start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:00Z") for i in range(count)]


def chart_data(stats: dict[str, Any]) -> dict[str, Any]:
    """What static/overview.js draws: one full minute axis, zeros where nothing happened."""
    since = datetime.fromisoformat(stats["since"].replace("Z", "+00:00"))
    until = datetime.fromisoformat(stats["until"].replace("Z", "+00:00"))
    minutes = _minutes(since, until)
    where = {minute: i for i, minute in enumerate(minutes)}
    per_connector: dict[str, list[int]] = {}
    for row in stats["eventsPerMinute"]:
        series = per_connector.setdefault(row["connectorId"], [0] * len(minutes))
        if row["minute"] in where:
            series[where[row["minute"]]] += row["count"]
    refused: dict[str, list[int]] = {}
    for row in stats["refusedPerMinute"]:
        series = refused.setdefault(row["errorCode"] or "unknown", [0] * len(minutes))
        if row["minute"] in where:
            series[where[row["minute"]]] += row["count"]
    # Quiet hours before the first traffic are cut, down to the last hour at least: on a fresh
    # install a day-long axis would hold everything in its last pixel and read as empty.
    busy = [i for series in (*per_connector.values(), *refused.values()) for i, n in enumerate(series) if n]
    start = min(min(busy, default=len(minutes)), max(len(minutes) - MIN_MINUTES, 0))
    return {
        "minutes": minutes[start:],
        "events": {k: v[start:] for k, v in per_connector.items()},
        "refused": {k: v[start:] for k, v in refused.items()},
        "points": stats["pointsPerRule"],
        "trimmed": start > 0,
    }


async def overview(request: Request) -> Response:
    test = request.query_params.get("test") == "true"
    answer = await call(request, "GET", "/api/stats/overview", query={"hours": 24, "test": str(test).lower()})
    stats = answer.body
    totals: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for statuses in stats["eventTotals"].values():
        for status, count in statuses.items():
            totals[status] = totals.get(status, 0) + count
    names = await connector_names(request)  # legends and tables show names
    return page(
        request,
        "overview.html",
        {
            "section": "overview",
            "test": test,
            "stats": stats,
            "totals": totals,
            "events_total": sum(totals.values()),
            "points_total": sum(r["points"] for r in stats["pointsPerRule"]),
            "refused_total": sum(stats["refusedByCode"].values()),
            "chart": {**chart_data(stats), "connectorNames": names},
            "connector_names": names,
            "connector_count": sum(1 for source in names if not source.startswith("type:")),
        },
    )


ROUTES = [Route("/", overview, methods=["GET"])]
