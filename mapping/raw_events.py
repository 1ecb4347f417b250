"""One raw event through its connector's mapping: what the mapping sees, and what comes out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from errors import MappingError, PayloadTooLarge
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
