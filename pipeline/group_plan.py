"""A request's chunk on its way to the group writer, and what can be decided about it before any lock.

`plan_job` runs in the request's own task, before the job is queued: it builds each event's row
and result and decides everything that needs no database — a failed mapping, a missing profile
identifier, the identity to look up, the schema check. So the writer's transaction holds its
locks only for the work that needs them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from earning_rules import RuleEvent
from errors import MappingError, SkippedByMapping
from mapping import MappedEvent
from mapping.identity import normalise_identity
from pipeline.context import RunContext, WorkItem
from pipeline.process import base_result, base_row, event_type_errors
from storage.events import EventRow

# The request's log row from all of its results, written in the transaction of its last chunk.
LogRow = Callable[[list[dict[str, Any]]], dict[str, Any]]


@dataclass
class PlannedEvent:
    """One event: its row and result as far as decided; `pending` until the writer finishes it."""

    row: EventRow
    result: dict[str, Any]
    trace: list[dict[str, Any]]
    pending: bool = False
    mapped: MappedEvent | None = None
    identity: tuple[str, str] | None = None
    schema_errors: list[str] = field(default_factory=list)
    first_id: int | None = None  # a duplicate: the first event, whose outcome the answer carries
    windows: list[tuple[str, Any]] | None = None  # (limit key, storage Window) its rules count
    rule_event: RuleEvent | None = None  # what the rules judge, built once with its windows

    def finish(self, status: str, reason: str | None = None, **extra: Any) -> None:
        self.row.status, self.row.reason = status, reason
        self.result.update(status=status, eventId=self.row.id, reason=reason, **extra)
        self.pending = False


@dataclass
class Job:
    """One chunk of one request: written in a group, answered when the group commits."""

    ctx: RunContext
    items: Sequence[WorkItem]
    log_row: LogRow | None  # the request's log row, when this is its last chunk
    earlier: list[dict[str, Any]]  # the results of the request's earlier chunks
    events: list[PlannedEvent] = field(default_factory=list)
    future: asyncio.Future[tuple[list[dict[str, Any]], bool]] | None = None

    @property
    def results(self) -> list[dict[str, Any]]:
        return [e.result for e in self.events]


def plan_job(job: Job) -> Job:
    job.events = [_plan(job.ctx, item) for item in job.items]
    return job


def _plan(ctx: RunContext, item: WorkItem) -> PlannedEvent:
    trace: list[dict[str, Any]] = []
    row = base_row(ctx, item, trace)
    planned = PlannedEvent(row, base_result(item), trace)
    if isinstance(item.error, SkippedByMapping):
        trace.append({"step": "map", "ok": True, "mappingVersion": row.mapping_version, "skipped": True})
        planned.finish("skipped", item.error.message)
        return planned
    if item.error is not None or item.mapped is None:
        error = item.error or MappingError("the mapping returned nothing for this event")
        trace.append({"step": "map", "ok": False, "error": error.to_json()["error"]})
        planned.finish("failed", error.message, error=error.to_json()["error"])
        return planned
    mapped = planned.mapped = item.mapped
    row.mapped = mapped.to_json()
    row.client_event_id = mapped.client_event_id
    planned.result["clientEventId"] = mapped.client_event_id
    if mapped.timestamp is not None:
        row.occurred_at = mapped.timestamp
    trace.append({"step": "map", "ok": True, "mappingVersion": row.mapping_version})
    if item.enhanced:
        trace.append({"step": "enhance", "ok": True, **item.enhanced})
    if not mapped.profile_value or not mapped.profile_value.strip():
        reason = "no profile identifier: profile.value is missing or empty"
        trace.append({"step": "profile", "ok": False, "reason": reason})
        planned.finish("ignored", reason, profile=None)
        return planned
    planned.identity = normalise_identity(mapped.profile_kind, mapped.profile_value)
    planned.schema_errors = event_type_errors(ctx, mapped)
    planned.pending = True
    return planned


def can_group(item: WorkItem) -> bool:
    """Refunds and replays take the per-chunk path (pipeline/batch.py): they read and reverse
    other events' awards, which the group's set-based steps do not."""
    return item.chain is None and (item.mapped is None or item.mapped.reverses is None)


def runs_by_path(items: Sequence[WorkItem]) -> list[tuple[bool, list[WorkItem]]]:
    """The items in arrival order as runs that all go one way: (True, run) to the group writer,
    (False, run) to the per-chunk path. A batch with a refund among its orders sends only the
    refund the slow way (the whole batch went there: 1% refunds made a batch 24 times slower);
    each run is written after the one before it commits, so a refund sees the order it reverses."""
    runs: list[tuple[bool, list[WorkItem]]] = []
    for item in items:
        grouped = can_group(item)
        if runs and runs[-1][0] == grouped:
            runs[-1][1].append(item)
        else:
            runs.append((grouped, [item]))
    return runs
