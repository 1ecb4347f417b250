"""One raw event through its connector's mapping: what the mapping sees, and what comes out."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from errors import MappingError, PayloadTooLarge
from mapping.bounds import OverBudget
from mapping.engine import CompiledMapping
from mapping.shape import MappedEvent, check_shape


def map_raw_event(
    mapping: CompiledMapping,
    body: Any,
    *,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    connector: Mapping[str, Any],
    budget_ms: int | None = None,
    path: str = "",
) -> list[MappedEvent | MappingError]:
    """Evaluate with `$` = the raw event, `$headers` (lower-case names), `$query`, `$connector`,
    `$path` (the SDK path after the connector's URL, "" for none) and `$call` (its last segment:
    "batch", "track", …; null for none).

    An evaluation failure, or more mapped events than `mapping.max_events`, raises MappingError
    (the whole raw event failed); a malformed mapped event is returned in place, as a MappingError
    naming the field.
    """
    bindings = {
        # Copies: the mapping must not see (or keep) the caller's mutable objects.
        "headers": {str(name).lower(): value for name, value in headers.items()},
        "query": dict(query),
        "connector": dict(connector),
        "path": path,
        "call": path.rsplit("/", 1)[-1] if path else None,
    }
    return check_shape(mapping.evaluate(body, bindings, budget_ms=budget_ms), max_events=mapping.max_events)


def check_request_total(count: int, max_events: int) -> None:
    """Refuse a request whose raw events mapped to more than `max_events` events in all (413).

    Call it with the running total after each raw event is mapped, before building the results,
    so a mapping that fans out (`[1..1000].{…}` on each of 1,000 raw events) never gets far.
    """
    if count > max_events:
        raise PayloadTooLarge(
            f"the mapping made more than {max_events} events from this request (INBOUND_MAX_BATCH_ITEMS); "
            "send fewer raw events per request",
            code="too_many_events",
        )


# A request's raw events may take this many times the mapping timeout in all: 15 raw events that
# each ran to the 1 s limit once held a request for 21 s. The rest fail, kept for a replay.
REQUEST_BUDGET_TIMEOUTS = 3

# What mapping one raw event gave: its mapped events (a malformed one as a MappingError in its
# place), or the MappingError that failed the whole raw event.
RawOutcome = list[MappedEvent | MappingError] | MappingError


def map_raw_events(
    mapping: CompiledMapping,
    bodies: list[Any],
    *,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    connector: Mapping[str, Any],
    path: str = "",
    budget_ms: int | None = None,
) -> list[RawOutcome]:
    """A request's raw events through the mapping, in order: see `iter_raw_events`."""
    return list(
        iter_raw_events(
            mapping, bodies, headers=headers, query=query, connector=connector, path=path, budget_ms=budget_ms
        )
    )


def iter_raw_events(
    mapping: CompiledMapping,
    bodies: list[Any],
    *,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    connector: Mapping[str, Any],
    path: str = "",
    budget_ms: int | None = None,
    request_budget_ms: int | None = None,
    mapped_before: int = 0,
) -> Iterator[RawOutcome]:
    """Each raw event's outcome in turn, within the request's time budget (`request_budget_ms`,
    by default `REQUEST_BUDGET_TIMEOUTS` × the mapping timeout): once it is spent, the rest fail
    unmapped.

    `budget_ms` is the small inline budget (pipeline/map_runner.py): running out of it raises
    OverBudget, and the caller maps the request again off the event loop. More mapped events in
    all (`mapped_before` counts those of earlier raw events) than `mapping.max_events` raises
    PayloadTooLarge at once (a 413).
    """
    total = mapped_before
    full_budget_ms = REQUEST_BUDGET_TIMEOUTS * mapping.timeout_ms
    deadline = time.monotonic() + (full_budget_ms if request_budget_ms is None else request_budget_ms) / 1000
    for body in bodies:
        left_ms = int((deadline - time.monotonic()) * 1000)
        if budget_ms is None and left_ms <= 0:
            yield spent(full_budget_ms)
            continue
        # Inline: the small budget; else what the request has left, at most the timeout.
        limit_ms = budget_ms if budget_ms is not None else None if left_ms >= mapping.timeout_ms else left_ms
        try:
            mapped = map_raw_event(
                mapping,
                body,
                headers=headers,
                query=query,
                connector=connector,
                budget_ms=limit_ms,
                path=path,
            )
        except OverBudget:
            if budget_ms is not None:
                raise
            yield spent(full_budget_ms)
            continue
        except MappingError as failure:
            yield failure
            continue
        # A mapping that fans out is bounded per request too, not only per raw event (413).
        total += len(mapped)
        check_request_total(total, mapping.max_events)
        yield mapped


def spent(request_budget_ms: int) -> MappingError:
    return MappingError(
        f"not mapped: this request's raw events used up its mapping time ({request_budget_ms} ms, "
        f"{REQUEST_BUDGET_TIMEOUTS}× the mapping timeout); kept, replay it after a fix",
        code="mapping_request_budget",
    )
