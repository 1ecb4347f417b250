"""What flows through the pipeline: the request as received, the connector as configured, the mode,
and each mapped event on its way to processing."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from connectors.auth import AuthSettings, Credential
from earning_rules import Rule
from errors import MappingError
from event_types.dates import DateBounds
from event_types.enhancers import MEMBER_KINDS
from mapping import CompiledMapping, MappedEvent
from settings import Settings

if TYPE_CHECKING:
    from pipeline.chain import Chain

Mode = Literal["live", "test", "dry_run"]


def new_request_id() -> str:
    """Sortable by time (so logs page by id) and unguessable: 'req_' + ms timestamp + random."""
    return f"req_{int(time.time() * 1000):013x}{os.urandom(6).hex()}"


@dataclass(frozen=True)
class IngestRequest:
    connector_id: str
    method: str
    headers: dict[str, str]  # lower-cased names
    query: dict[str, str]
    body: bytes
    content_type: str | None
    received_at: datetime
    request_id: str = field(default_factory=new_request_id)
    # The body as it came over the wire when a Content-Encoding changed it: what a signature covers.
    wire_body: bytes | None = None
    # The SDK path after the connector's URL ("/v1/batch", "/api/s/track"); "" for the URL itself.
    path: str = ""
    # The URL the sender posted to, as it was given it (public URL + path + query): what a
    # signature with {url} covers (Square, HubSpot).
    url: str = ""

    @property
    def signed_body(self) -> bytes:
        return self.body if self.wire_body is None else self.wire_body


@dataclass(frozen=True)
class ConnectorSnapshot:
    """A connector as one request sees it, loaded once per request."""

    row: dict[str, Any]
    auth: AuthSettings
    credentials: tuple[Credential, ...]
    mapping: CompiledMapping

    @property
    def id(self) -> str:
        return str(self.row["id"])

    @property
    def secret_values(self) -> tuple[str, ...]:
        """Every credential's value: never kept in a log row or shown to the mapping."""
        return tuple(c.value for c in self.credentials)

    @property
    def in_test_mode(self) -> bool:
        return self.row["mode"] == "test"

    def binding(self) -> dict[str, Any]:
        """What the mapping sees as `$connector`."""
        return {
            "id": self.row["id"],
            "name": self.row["name"],
            "mode": self.row["mode"],
            "eventType": self.row["event_type"],
        }


@dataclass(frozen=True)
class WorkItem:
    """A mapped event (or the failure to map one) with where it came from in the request."""

    index: int
    sub_index: int
    raw: Any
    mapped: MappedEvent | None
    error: MappingError | None
    chain: Chain | None = None  # set when replaying: the rows this event already has
    enhanced: dict[str, Any] | None = None  # what the event type's enhancers added, for the trace


@dataclass(frozen=True)
class RunContext:
    settings: Settings
    snapshot: ConnectorSnapshot
    request: IngestRequest
    test: bool
    event_type: str
    schema: dict[str, Any] | None
    rules: list[Rule]
    rule_statuses: frozenset[str]
    # How far from when it was received an event may be dated; None when replaying (it was judged
    # when it arrived).
    date_bounds: DateBounds | None = None
    # The event type's enhancers (event_types/enhancers.py).
    enhancers: tuple[dict[str, Any], ...] = ()

    @property
    def member_enhancers(self) -> tuple[dict[str, Any], ...]:
        """Those that need the member: applied once the profile is found."""
        return tuple(e for e in self.enhancers if e["kind"] in MEMBER_KINDS)
