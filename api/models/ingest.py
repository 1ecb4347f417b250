"""What a sender sends to a connector's URL, and what it gets back."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import RootModel

from api.models.base import OMITTED, ApiAnswer


class RawEvent(RootModel[dict[str, Any]]):
    """One event as the sender sends it (an object; its fields are the mapping's to read)"""


class StoredRawEvent(RootModel[Any]):
    """A raw event as it was kept: the JSON value received (usually an object)"""


class IngestBody(RootModel[RawEvent | list[RawEvent]]):
    """One raw event, or a batch: a non-empty array of them (see docs/api.md)"""


class MappedEventProfile(ApiAnswer):
    kind: str = OMITTED
    value: str | None = None


class MappedTag(ApiAnswer):
    name: str
    value: Any


class MappedCounter(ApiAnswer):
    name: str
    value: Any


class MappedEventPayload(ApiAnswer):
    timestamp: datetime = OMITTED
    tags: list[MappedTag] = OMITTED
    counters: list[MappedCounter] = OMITTED


class MappedEvent(ApiAnswer):
    """The canonical event a mapping returns (docs/mapping.md)."""

    client_event_id: str | None = None
    profile: MappedEventProfile = OMITTED
    payload: MappedEventPayload = OMITTED


class IngestResultAwards(ApiAnswer):
    rule_id: str = OMITTED
    name: str = OMITTED
    points: int = OMITTED


class IngestResult(ApiAnswer):
    index: int = OMITTED
    sub_index: int = OMITTED
    status: Literal["processed", "duplicate", "ignored", "parked", "skipped", "rejected", "failed"] = OMITTED
    event_id: int | None = None
    client_event_id: str | None = None
    profile: dict[str, Any] | None = None
    reason: str | None = None
    awards: list[IngestResultAwards] = OMITTED
    balance: int | None = None


class IngestResponse(ApiAnswer):
    request_id: str
    test: bool = OMITTED
    counts: dict[str, int] = OMITTED
    results: list[IngestResult]
