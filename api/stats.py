"""GET /api/stats/overview: what the console's overview charts show, for any dashboard to use."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.http import JSON, bool_param, db_of, int_param
from storage import stats

FAILURES = ("failed", "rejected")


def _minute_iso(minute: str) -> str:
    return minute.replace(" ", "T") + ":00Z"


def overview_json(
    since: datetime,
    until: datetime,
    events: list[dict[str, Any]],
    refused: list[dict[str, Any]],
    points: list[dict[str, Any]],
) -> dict[str, Any]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in events:
        totals[row["connector_id"]][row["status"]] += row["count"]
    refused_by_connector: dict[str, int] = defaultdict(int)
    refused_by_code: dict[str, int] = defaultdict(int)
    for row in refused:
        refused_by_connector[row["connector_id"]] += row["count"]
        refused_by_code[row["error_code"] or "unknown"] += row["count"]
    failing: list[dict[str, Any]] = sorted(
        (
            {
                "connectorId": connector,
                "failed": totals.get(connector, {}).get("failed", 0),
                "rejected": totals.get(connector, {}).get("rejected", 0),
                "refusedRequests": refused_by_connector.get(connector, 0),
            }
            for connector in set(totals) | set(refused_by_connector)
        ),
        key=lambda c: -(c["failed"] + c["rejected"] + c["refusedRequests"]),
    )
    return {
        "since": since,
        "until": until,
        "eventsPerMinute": [
            {
                "connectorId": r["connector_id"],
                "minute": _minute_iso(r["minute"]),
                "status": r["status"],
                "count": r["count"],
            }
            for r in sorted(events, key=lambda r: (r["minute"], r["connector_id"], r["status"]))
        ],
        "eventTotals": {c: dict(sorted(s.items())) for c, s in sorted(totals.items())},
        "refusedPerMinute": [
            {
                "connectorId": r["connector_id"],
                "errorCode": r["error_code"],
                "minute": _minute_iso(r["minute"]),
                "count": r["count"],
            }
            for r in sorted(refused, key=lambda r: (r["minute"], r["connector_id"], r["error_code"] or ""))
        ],
        "refusedByCode": dict(sorted(refused_by_code.items(), key=lambda kv: -kv[1])),
        "pointsPerRule": [
            {"ruleId": r["rule_id"], "name": r["name"], "points": int(r["points"]), "awards": r["awards"]}
            for r in points
        ],
        "connectorsWithFailures": [
            c for c in failing if c["failed"] + c["rejected"] + c["refusedRequests"] > 0
        ],
    }


async def overview(request: Request) -> Response:
    """The last `hours` (1 to 168, default 24), live events unless `test=true`."""
    hours = int_param(request, "hours", 24, minimum=1, maximum=168)
    test = bool_param(request, "test") or False
    until = datetime.now(UTC)
    since = until - timedelta(hours=hours)
    async with db_of(request).read() as conn:
        events = await stats.events_per_minute(conn, since, until, test=test)
        refused = await stats.refused_requests(conn, since, until)
        points = await stats.points_per_rule(conn, since, until, test=test)
    body = overview_json(since, until, events, refused, points)
    # Requests to connector ids that do not exist are counted, not logged (this process, since start).
    body["unknownConnectorRequests"] = db_of(request).unknown_connector_requests
    # Answered 429 (this process, since start): over a connector's limit, or a refusing address.
    body["rateLimitedRequests"] = dict(request.app.state.limits.limited)
    return JSON(body)
