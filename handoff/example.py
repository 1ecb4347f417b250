"""The example on an integration page: a raw payload, and what the current mapping makes of it.

The raw payload is, by default, the connector's newest saved sample (chosen by the admin), else
a made-up one built from the fields the mapping reads. The latest real raw event is used only when
asked for (`?example=latest`). Both real inputs have their personal data replaced (see
`handoff.redact`), and only the headers and query parameters the mapping reads are shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import event_types
from errors import MappingError
from handoff.fields import FieldsRead
from handoff.made_up import build_example, example_headers, example_query
from mapping import CompiledMapping
from mapping.isolation import map_isolated

SAMPLE_EVENT: dict[str, Any] = {
    "clientEventId": "evt-1001",
    "profile": {"kind": "default", "value": "ann@example.com"},
    "payload": {
        "timestamp": "2026-11-20T10:15:00Z",
        "tags": [{"name": "theme", "value": "sport"}],
        "counters": [{"name": "total", "value": 3}],
    },
}

# The contract every mapping must produce (docs/mapping.md).
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
    source: str  # latest_event | saved_sample | sample (made up)
    raw: Any
    headers: Mapping[str, str] = field(default_factory=dict)  # what the mapping sees as $headers
    query: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None  # a saved sample's name
    redacted: tuple[str, ...] = ()  # paths whose personal data was replaced (latest event, saved sample)


MADE_UP = Example("sample", SAMPLE_EVENT)

# Set by the HTTP client, a proxy or the network on every request, never by the sender's code:
# never shown with the example, even when the mapping reads one.
TRANSPORT_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "content-encoding",
        "transfer-encoding",
        "te",
        "trailer",
        "connection",
        "keep-alive",
        "upgrade",
        "expect",
        "proxy-connection",
        "user-agent",
        "accept",
        "accept-encoding",
        "accept-language",
        "accept-charset",
        "cache-control",
        "pragma",
        "via",
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-forwarded-port",
        "x-real-ip",
        "true-client-ip",
        "cdn-loop",
        "cf-connecting-ip",
        "cf-ipcountry",
        "cf-ray",
        "cf-visitor",
        "x-amzn-trace-id",
    }
)


def inputs_read(example: Example, read: FieldsRead) -> tuple[dict[str, str], dict[str, str]]:
    """The example's headers and query parameters the mapping reads (`$headers.x`, `$query.y`):
    the ones the sender must add to the snippets. A saved sample keeps every header of the request
    it came from (host, user-agent …); those the mapping does not read are not the sender's concern."""
    headers = {
        name: value
        for name, value in example.headers.items()
        if name.lower() not in TRANSPORT_HEADERS and read.reads("headers", name)
    }
    query = {name: value for name, value in example.query.items() if read.reads("query", name)}
    return headers, query


def map_example(
    mapping: CompiledMapping, example: Example, *, connector: Mapping[str, Any]
) -> dict[str, Any]:
    """`mappedEvents` (as stored) and `errors` (code, message, details) for the example."""
    headers = {"content-type": "application/json", **example.headers}
    [results] = map_isolated(
        mapping, [example.raw], headers=headers, query=example.query, connector=connector
    )
    if isinstance(results, MappingError):
        return {"mappedEvents": [], "errors": [results.to_json()["error"]]}
    if not results:
        empty = MappingError("the mapping returned no event for this payload", code="mapping_empty")
        return {"mappedEvents": [], "errors": [empty.to_json()["error"]]}
    return {
        "mappedEvents": [r.to_json() for r in results if not isinstance(r, MappingError)],
        "errors": [r.to_json()["error"] for r in results if isinstance(r, MappingError)],
    }


def made_up(mapping: CompiledMapping, read: FieldsRead, *, connector: Mapping[str, Any]) -> Example:
    """An example built from the fields the mapping reads, the first candidate that yields a profile.

    Candidates: the fields read, filled with example values; the mapped-event shape (what `$` and
    other pass-through mappings take). When none resolves a profile, the first is kept and the
    page's warnings say why it would be ignored.
    """
    candidates: list[Example] = []
    built = build_example(read.fields)
    if built or example_headers(read.fields) or example_query(read.fields):
        candidates.append(Example("sample", built, example_headers(read.fields), example_query(read.fields)))
    candidates.append(MADE_UP)
    if read.whole_body:
        candidates.reverse()
    for candidate in candidates:
        if not problems(map_example(mapping, candidate, connector=connector)):
            return candidate
    return candidates[0]


def problems(
    mapped: Mapping[str, Any], schema: Mapping[str, Any] | None = None, event_type: str = ""
) -> list[str]:
    """Why the example would not be `processed`: failed, ignored or rejected, in words."""
    found = [
        "This example would be ignored: the mapping returns no event for it."
        if e["code"] == "mapping_empty"
        else f"This example would fail: {e['code']}: {e['message']}"
        for e in mapped["errors"]
    ]
    for index, event in enumerate(mapped["mappedEvents"]):
        which = f"mapped event {index + 1}" if len(mapped["mappedEvents"]) > 1 else "it"
        value = event["profile"]["value"]
        if value is None or not str(value).strip():
            found.append(
                f"This example would be ignored: the mapping finds no profile.value in {which}, "
                "so no member can be credited. Send the field the mapping reads for the profile "
                "(see the expected payload)."
            )
        elif schema is not None:
            errors = event_types.schema_errors(dict(schema), event["payload"])
            if errors:
                found.append(
                    f"This example would be rejected: {which} does not match event type {event_type}: "
                    + "; ".join(errors)
                    + "."
                )
    return found
