"""The request and event logs, the admin log and the overview."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from api.models.base import OMITTED, ApiAnswer
from api.models.ingest import MappedEvent, StoredRawEvent


class RequestLogEntryAuth(ApiAnswer):
    outcome: Literal["accepted", "refused", "not_checked"]
    reason: str | None
    credential_id: str | None


class RequestLogEntry(ApiAnswer):
    id: str = OMITTED
    connector_id: str = OMITTED
    received_at: datetime = OMITTED
    method: str = OMITTED
    status_code: int = OMITTED
    auth: RequestLogEntryAuth = OMITTED
    counts: dict[str, Any] | None = None
    duration_ms: float | None = None


class RequestDetail(RequestLogEntry):
    """A request with what its mapping saw and the events it made."""

    headers: dict[str, str] | None = Field(
        None, description="the headers the mapping saw as $headers, credentials left out"
    )
    query: dict[str, str] | None = Field(
        None, description="the query string the mapping saw as $query, credentials left out"
    )
    events: list[dict[str, Any]] = OMITTED


class Identity(ApiAnswer):
    kind: str
    value: str


class Event(ApiAnswer):
    id: int = OMITTED
    request_id: str = OMITTED
    connector_id: str = OMITTED
    client_event_id: str | None = None
    status: str = OMITTED
    reason: str | None = None
    profile_id: int | None = None
    profile: Identity | None = Field(None, description="in lists: the member's identity, to show")
    occurred_at: datetime = OMITTED
    received_at: datetime = OMITTED
    raw: StoredRawEvent = OMITTED
    mapped: MappedEvent | None = None
    trace: list[Any] = OMITTED


class AdminLogEntry(ApiAnswer):
    """One bulk admin action: a purge (what it removed) or a replay (what it changed)."""

    id: int = OMITTED
    action: str = OMITTED
    connector_id: str | None = None
    details: dict[str, Any] = OMITTED
    created_at: datetime = OMITTED


class OverviewRateLimitedRequests(ApiAnswer):
    connector: int = OMITTED
    address: int = OMITTED


class Overview(ApiAnswer):
    since: str = OMITTED
    until: str = OMITTED
    events_per_minute: list[dict[str, Any]] = OMITTED
    event_totals: dict[str, Any] = OMITTED
    refused_per_minute: list[dict[str, Any]] = OMITTED
    refused_by_code: dict[str, Any] = OMITTED
    points_per_rule: list[dict[str, Any]] = OMITTED
    connectors_with_failures: list[dict[str, Any]] = OMITTED
    unknown_connector_requests: int = OMITTED
    rate_limited_requests: OverviewRateLimitedRequests = OMITTED
