"""What Inbound counts for Prometheus (served at /metrics by api/metrics.py).

Labels stay bounded: a connector label is a connector that exists ("unknown" for made-up ids),
a rule label a rule id, a status one of a few words. With several worker processes
(`inbound serve --workers N`) each writes its samples to PROMETHEUS_MULTIPROC_DIR and /metrics
adds them up, so a scrape sees the whole deployment whichever process answers it.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from storage import intrinsic as intrinsic_store
from storage import webhooks as webhook_store

log = logging.getLogger("inbound.metrics")

REQUESTS = Counter(
    "inbound_ingest_requests_total",
    "Requests to connector URLs, by connector, HTTP status and auth outcome",
    ["connector", "status", "auth"],
)
EVENTS = Counter("inbound_events_total", "Events stored, by connector and status", ["connector", "status"])
POINTS = Counter("inbound_points_awarded_total", "Points awarded by earning rules, by rule", ["rule"])
# A rule may award negative points (a refund rule): counted apart, a counter only goes up.
POINTS_TAKEN = Counter(
    "inbound_points_taken_total", "Points taken back by rules with negative rewards, by rule", ["rule"]
)
MAPPING_ERRORS = Counter(
    "inbound_mapping_errors_total",
    "Raw events the mapping failed on, by connector and code",
    ["connector", "code"],
)
LATENCY = Histogram(
    "inbound_ingest_seconds",
    "Time to answer a request to a connector URL",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
GROUP_FALLBACKS = Counter(
    "inbound_group_fallbacks_total",
    "Groups that failed whole and were written again request by request (each also a warning in the log)",
)
GROUP_EVENTS = Histogram(
    "inbound_group_commit_events",
    "Events written per group commit (pipeline/group_writer.py)",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000),
)


# Labelled children by their labels: `labels()` checks and locks on every call, ~10 µs a request.
_children: dict[tuple[Any, ...], Any] = {}


def _child(metric: Any, *labels: str) -> Any:
    key = (id(metric), *labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child


def record_request(connector: str, status: int, auth: str, seconds: float) -> None:
    try:
        _child(REQUESTS, connector, str(status), auth).inc()
        LATENCY.observe(seconds)
    except Exception:  # counting must never change an answer: the events are already stored
        log.exception("could not count a request")


def record_results(connector: str, results: Iterable[dict[str, Any]]) -> None:
    try:
        _record_results(connector, results)
    except Exception:
        log.exception("could not count a request's results")


def _record_results(connector: str, results: Iterable[dict[str, Any]]) -> None:
    # Added up first: a 1000-event batch is a few label look-ups, not thousands (~40 µs an event).
    events: Tally[str] = Tally()
    errors: Tally[str] = Tally()
    given: Tally[str] = Tally()
    taken: Tally[str] = Tally()
    for result in results:
        status = result["status"]
        events[status] += 1
        error = result.get("error")
        if status == "failed" and isinstance(error, dict):
            errors[str(error.get("code", "unknown"))] += 1
        for award in result.get("awards") or ():
            points = award["points"]
            if points >= 0:
                given[award["ruleId"]] += points
            else:
                taken[award["ruleId"]] -= points
    for status, count in events.items():
        _child(EVENTS, connector, status).inc(count)
    for code, count in errors.items():
        _child(MAPPING_ERRORS, connector, code).inc(count)
    for rule, points in given.items():
        _child(POINTS, rule).inc(points)
    for rule, points in taken.items():
        _child(POINTS_TAKEN, rule).inc(points)


class _Backlog(Collector):
    """What waits in the database, the same whichever process is scraped: read at each scrape."""

    def __init__(self, rows: list[tuple[str, int, datetime | None]], owed: int, now: datetime) -> None:
        self.rows, self.owed, self.now = rows, owed, now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        waiting = GaugeMetricFamily(
            "inbound_webhook_backlog_messages",
            "Outgoing webhook messages not delivered yet, by endpoint",
            labels=["endpoint"],
        )
        oldest = GaugeMetricFamily(
            "inbound_webhook_backlog_oldest_seconds",
            "Age of the oldest outgoing webhook message not delivered yet, by endpoint",
            labels=["endpoint"],
        )
        for endpoint, count, since in self.rows:
            waiting.add_metric([endpoint], count)
            oldest.add_metric([endpoint], max(0.0, (self.now - since).total_seconds()) if since else 0.0)
        owed = GaugeMetricFamily(
            "inbound_intrinsic_events_owed", "Intrinsic events (EARNED_BADGE, …) written but not reported yet"
        )
        owed.add_metric([], self.owed)
        yield from (waiting, oldest, owed)


async def backlog_of(conn: Any, now: datetime) -> CollectorRegistry:
    """The outbox backlog and owed intrinsic events, as a registry of their own for one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    rows = await webhook_store.backlog(conn)
    registry.register(_Backlog(rows, await intrinsic_store.owed_count(conn), now))
    return registry
