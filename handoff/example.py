"""The example on an integration page: a raw payload, and what the current mapping makes of it.

The raw payload is the connector's latest stored raw event when there is one (the real shape
the sender sends), else its newest saved sample, else a made-up one in the mapped-event shape
(what the default mapping `$` takes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from errors import MappingError
from mapping import CompiledMapping, map_raw_event

SAMPLE_EVENT: dict[str, Any] = {
    "clientEventId": "evt-1001",
    "profile": {"kind": "default", "value": "ann@example.com"},
    "payload": {
        "timestamp": "2026-11-20T10:15:00Z",
        "tags": [{"name": "theme", "value": "sport"}],
        "counters": [{"name": "total", "value": 3}],
    },
}

# The contract every mapping must produce (docs/mapping.md), shown when no example maps.
MAPPED_EVENT_CONTRACT: dict[str, Any] = {
    "description": "What the mapping must return for each raw event: one object, or an array of them.",
    "example": SAMPLE_EVENT,
    "fields": {
        "clientEventId": "text or number; the idempotency key (a repeat is a duplicate); optional",
        "profile.kind": "text, the identity kind; default 'default'",
        "profile.value": "text or number, the member's identifier; without it the event is ignored",
        "payload.timestamp": "ISO 8601 text or epoch seconds/milliseconds; absent means now",
        "payload.tags": "array of {name, value}; values are text",
        "payload.counters": "array of {name, value}; values are numbers",
    },
}


@dataclass(frozen=True)
class Example:
    source: str  # latest_event | saved_sample | sample
    raw: Any
    headers: Mapping[str, str] = field(default_factory=dict)  # what the mapping sees as $headers
    query: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None  # a saved sample's name


MADE_UP = Example("sample", SAMPLE_EVENT)


def map_example(
    mapping: CompiledMapping, example: Example, *, connector: Mapping[str, Any]
) -> dict[str, Any]:
    """`mappedEvents` (as stored) and `errors` (code, message, details) for the example."""
    headers = {"content-type": "application/json", **example.headers}
    try:
        results = map_raw_event(
            mapping, example.raw, headers=headers, query=example.query, connector=connector
        )
    except MappingError as error:
        return {"mappedEvents": [], "errors": [error.to_json()["error"]]}
    if not results:
        empty = MappingError("the mapping returned no event for this payload", code="mapping_empty")
        return {"mappedEvents": [], "errors": [empty.to_json()["error"]]}
    return {
        "mappedEvents": [r.to_json() for r in results if not isinstance(r, MappingError)],
        "errors": [r.to_json()["error"] for r in results if isinstance(r, MappingError)],
    }
