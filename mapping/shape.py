"""The mapped event (a contract, see docs/mapping.md) and the check that turns output into it.

A mapping returns one object or an array of them. Each item becomes a MappedEvent, or a
MappingError naming the first field at fault, so one bad item never sinks its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from errors import MappingError, SkippedByMapping
from mapping.describe import describe
from mapping.fields import (
    SHAPE_ERROR,
    check_keys,
    counter_value,
    items,
    join,
    name_value,
    shape_error,
    storable,
    tag_values,
    text_or_number,
)
from mapping.identity import DEFAULT_KIND, normalise_identity, normalise_kind
from mapping.timestamps import format_timestamp, normalise_timestamp

# The storage columns these end up in (a longer value would fail on PostgreSQL, not SQLite).
MAX_CLIENT_EVENT_ID = 256
MAX_PROFILE_KIND = 64
MAX_PROFILE_VALUE = 512

EVENT_KEYS = ("clientEventId", "profile", "payload", "reverses")
REVERSAL_KEYS = ("clientEventId", "fraction")
PROFILE_KEYS = ("kind", "value")
PAYLOAD_KEYS = ("timestamp", "tags", "counters")


@dataclass(frozen=True)
class Tag:
    name: str
    value: str


@dataclass(frozen=True)
class Counter:
    name: str
    value: int | float  # as computed: ints stay exact


@dataclass(frozen=True)
class Reversal:
    """This event counterbalances an earlier one (a refund): its awards are reversed by `fraction`."""

    client_event_id: str
    fraction: Decimal = Decimal(1)

    def to_json(self) -> dict[str, Any]:
        return {"clientEventId": self.client_event_id, "fraction": fraction_to_json(self.fraction)}


def fraction_to_json(fraction: Decimal) -> int | float:
    """One JSON number wherever a fraction is shown (answer, trace, stored event): 1, not "1" or 1.0."""
    return int(fraction) if fraction == fraction.to_integral_value() else float(fraction)


@dataclass(frozen=True)
class MappedEvent:
    client_event_id: str | None
    profile_kind: str
    profile_value: str | None  # None: no identifier, the pipeline marks the event "ignored"
    timestamp: datetime | None  # aware UTC; None means "now"
    tags: tuple[Tag, ...] = ()
    counters: tuple[Counter, ...] = ()
    reverses: Reversal | None = None

    def payload_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.timestamp is not None:
            body["timestamp"] = format_timestamp(self.timestamp)
        body["tags"] = [{"name": t.name, "value": t.value} for t in self.tags]
        body["counters"] = [{"name": c.name, "value": c.value} for c in self.counters]
        return body

    def to_json(self) -> dict[str, Any]:
        """As stored and shown: optional fields that are absent or null are left out."""
        body: dict[str, Any] = {}
        if self.client_event_id is not None:
            body["clientEventId"] = self.client_event_id
        body["profile"] = {"kind": self.profile_kind, "value": self.profile_value}
        body["payload"] = self.payload_json()
        if self.reverses is not None:
            body["reverses"] = self.reverses.to_json()
        return body


TOO_MANY_EVENTS = "mapping_too_many_events"


def check_shape(output: Any, *, max_events: int | None = None) -> list[MappedEvent | MappingError]:
    """One entry per mapped event; nothing (undefined, null, []) gives an empty list.

    More than `max_events` mapped events from one raw event raise a MappingError (the raw event
    fails as a whole, and is kept) before any of them is checked.
    """
    if output is None:
        return []
    if isinstance(output, list):
        if max_events is not None and len(output) > max_events:
            raise MappingError(
                f"the mapping returned {len(output)} events for one raw event; at most {max_events} are "
                "accepted (INBOUND_MAX_BATCH_ITEMS)",
                code=TOO_MANY_EVENTS,
            )
        return [_checked(item, f"[{index}]") for index, item in enumerate(output)]
    if not isinstance(output, dict):
        return [
            MappingError(
                f"the mapping must return an object or an array of objects, got {describe(output)}",
                code=SHAPE_ERROR,
            )
        ]
    return [_checked(output, "")]


MAX_SKIP_REASON = 500


def _checked(item: Any, prefix: str) -> MappedEvent | MappingError:
    try:
        if isinstance(item, dict) and "skip" in item:
            return _skip(item, prefix)
        return _event(item, prefix)
    except MappingError as error:
        return error


def _skip(item: dict[str, Any], prefix: str) -> SkippedByMapping:
    """`{"skip": "identify calls earn nothing"}`: this raw event is left out on purpose."""
    if set(item) != {"skip"}:
        other = sorted(set(item) - {"skip"})[0]
        raise shape_error(join(prefix, other), "a skipped item holds only skip (its reason)")
    reason = item["skip"]
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_SKIP_REASON:
        raise shape_error(
            join(prefix, "skip"),
            f"expected the reason as a text of 1 to {MAX_SKIP_REASON} characters, got {describe(reason)}",
        )
    return SkippedByMapping(reason.strip())


def _event(item: Any, prefix: str) -> MappedEvent:
    if not isinstance(item, dict):
        raise shape_error(prefix, f"expected an object, got {describe(item)}")
    check_keys(item, EVENT_KEYS, prefix)
    client_event_id = _client_event_id(item.get("clientEventId"), join(prefix, "clientEventId"))
    kind, value = _profile(item.get("profile"), join(prefix, "profile"))
    timestamp, tags, counters = _payload(item.get("payload"), join(prefix, "payload"))
    return MappedEvent(
        client_event_id=client_event_id,
        profile_kind=kind,
        profile_value=value,
        timestamp=timestamp,
        tags=tags,
        counters=counters,
        reverses=_reverses(item.get("reverses"), join(prefix, "reverses")),
    )


def _reverses(value: Any, path: str) -> Reversal | None:
    """`"reverses": "ord-1001"` (in full) or `{"clientEventId": "ord-1001", "fraction": 0.25}`."""
    if value is None:
        return None
    if not isinstance(value, dict):
        value = {"clientEventId": value}
    check_keys(value, REVERSAL_KEYS, path)
    target = value.get("clientEventId")
    if target is None:
        raise shape_error(join(path, "clientEventId"), "required: the clientEventId of the event to reverse")
    target_id = text_or_number(target, join(path, "clientEventId"), max_length=MAX_CLIENT_EVENT_ID)
    raw_fraction = value.get("fraction", 1)
    fraction_path = join(path, "fraction")
    if isinstance(raw_fraction, bool) or not isinstance(raw_fraction, (int, float)):
        raise shape_error(fraction_path, f"expected a number between 0 and 1, got {describe(raw_fraction)}")
    try:
        fraction = Decimal(str(raw_fraction))
    except InvalidOperation:  # pragma: no cover - str() of a finite float always parses
        raise shape_error(fraction_path, f"expected a number, got {describe(raw_fraction)}") from None
    if not Decimal(0) < fraction <= Decimal(1):
        raise shape_error(fraction_path, f"{raw_fraction} must be above 0 and at most 1")
    return Reversal(target_id, fraction)


def _client_event_id(value: Any, path: str) -> str | None:
    if value is None:
        return None
    text = text_or_number(value, path, max_length=MAX_CLIENT_EVENT_ID)
    # "" would make every later event without an id a duplicate of the first: treat as absent.
    return text if text.strip() else None


def _profile(value: Any, path: str) -> tuple[str, str | None]:
    """The identity as the profile is looked up (mapping/identity.py), so the stored event, the
    profile and the trace show the same kind and value."""
    if value is None:
        return DEFAULT_KIND, None
    if not isinstance(value, dict):
        raise shape_error(path, f"expected an object, got {describe(value)}")
    check_keys(value, PROFILE_KEYS, path)
    kind = value.get("kind")
    if kind is None or kind == "":
        kind = DEFAULT_KIND
    elif not isinstance(kind, str):
        raise shape_error(join(path, "kind"), f"expected text, got {describe(kind)}")
    elif len(kind) > MAX_PROFILE_KIND:
        raise shape_error(join(path, "kind"), f"too long: {len(kind)} characters, at most {MAX_PROFILE_KIND}")
    else:
        storable(kind, join(path, "kind"))
    identifier = value.get("value")
    if identifier is None:
        return normalise_kind(kind), None
    text = text_or_number(identifier, join(path, "value"), max_length=MAX_PROFILE_VALUE)
    return normalise_identity(kind, text)


def _payload(value: Any, path: str) -> tuple[datetime | None, tuple[Tag, ...], tuple[Counter, ...]]:
    if value is None:
        return None, (), ()
    if not isinstance(value, dict):
        raise shape_error(path, f"expected an object, got {describe(value)}")
    check_keys(value, PAYLOAD_KEYS, path)
    raw_timestamp = value.get("timestamp")
    timestamp_path = join(path, "timestamp")
    timestamp = None if raw_timestamp is None else normalise_timestamp(raw_timestamp, path=timestamp_path)
    tags: list[Tag] = []
    for item_path, item in items(value.get("tags"), join(path, "tags")):
        name, raw = name_value(item, item_path)
        tags.extend(Tag(name, text) for text in tag_values(raw, join(item_path, "value")))
    counters: list[Counter] = []
    for item_path, item in items(value.get("counters"), join(path, "counters")):
        name, raw = name_value(item, item_path)
        if raw is not None:  # an absent value (an optional source field) adds no counter
            counters.append(Counter(name, counter_value(raw, join(item_path, "value"))))
    return timestamp, tuple(tags), tuple(counters)
