"""What the developer's tools take: dry runs, mapping previews, samples, mapping checks, replays."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema, model_validator

from api.http import MAX_ID
from api.models.base import OMITTED, ApiAnswer, ApiInput
from api.models.connectors import Mapping
from api.models.fields import explain, problem, refused, text, whole, whole_or_null
from api.models.ingest import StoredRawEvent
from earning_rules.validate import show
from pipeline.context import IngestRequest
from pipeline.dry_run import simulated_request
from pipeline.replay import REPLAYABLE

TextMap = Annotated[dict[str, str], explain('must be an object of texts, e.g. {"x-shop": "acme"}')]
RuleStatus = Literal["active", "draft", "paused"]


class SimulatedRequest(ApiInput):
    """A request as a sender would send it: a body (JSON) or bodyText (exact text), headers, query."""

    body_is: ClassVar[str] = 'an object such as {"body": {...}, "headers": {...}}'

    method: Literal["POST", "GET"] = "POST"
    body: Any = Field(None, description="the body as JSON (give body or bodyText)")
    body_text: Annotated[str, Field(description="the body as exact text, e.g. a form or a signed body")] = ""
    content_type: str | None = Field(None, description="default: the Content-Type header, else JSON")
    headers: TextMap = Field(default_factory=dict)
    query: TextMap = Field(default_factory=dict)
    include_statuses: Annotated[
        list[RuleStatus],
        Field(min_length=1, description="the rules to judge by, by status (default: active)"),
        explain("must list some of active, draft, paused"),
    ] = Field(default_factory=lambda: list[RuleStatus](["active"]))

    @model_validator(mode="after")
    def _one_body(self) -> SimulatedRequest:
        given = {"body", "body_text"} & self.model_fields_set
        if self.method == "GET" and given:
            raise problem("a GET (pixel-style) request has no body; put the event in query", field="body")
        if self.method == "POST" and len(given) != 1:
            raise problem("give exactly one of body (JSON) or bodyText (exact text)", field="body")
        return self

    def body_bytes(self) -> bytes:
        if "body" in self.model_fields_set:
            return json.dumps(self.body).encode()
        return self.body_text.encode()

    def statuses(self) -> frozenset[str]:
        return frozenset(self.include_statuses)

    def simulated(self, connector_id: str) -> IngestRequest:
        return simulated_request(
            connector_id, self.method, self.headers, self.query, self.body_bytes(), self.content_type
        )


_SAVED_MAPPING = "a connector's dry run uses its saved mapping; try a new one with POST /api/dry-run"


class ConnectorDryRunInput(SimulatedRequest):
    """A request to a connector, simulated: every step live would take, nothing kept."""

    mapping: Annotated[Any, refused(_SAVED_MAPPING), Field(exclude=True)] = None
    event_type: Annotated[Any, refused(_SAVED_MAPPING), Field(exclude=True)] = None


class DryRunInput(SimulatedRequest):
    """A mapping and a request, no connector needed."""

    mapping: Annotated[Mapping, Field(description="the JSONata expression to try")]
    event_type: Annotated[str, Field(min_length=1)] = "custom.basic"


class MappingPreviewInput(SimulatedRequest):
    """A connector's dry run with a mapping not saved yet."""

    mapping: Annotated[Mapping, Field(description="the JSONata expression to try")]
    event_type: Annotated[
        Any,
        refused("a preview uses the connector's event type; change it on the connector"),
        Field(exclude=True),
    ] = None


class SampleInput(ApiInput):
    """A regression case for the connector's mapping: an event it received, or a raw event."""

    body_is: ClassVar[str] = 'an object such as {"name": "…", "eventId": 123} or {"name": "…", "body": {…}}'

    name: Annotated[str, text(200), Field(min_length=1, max_length=200), AfterValidator(str.strip)]
    event_id: Annotated[
        int | None,
        whole(1, MAX_ID, "is not an event id"),
        Field(description="an event of this connector"),
    ] = None
    body: Any = Field(None, description="a raw event, as the sender sends it")
    headers: TextMap = Field(default_factory=dict)
    query: TextMap = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> SampleInput:
        if len({"event_id", "body"} & self.model_fields_set) != 1:
            raise problem(
                "give exactly one (an event of this connector, or a raw event)", field="eventId, body"
            )
        return self


class MappingInput(ApiInput):
    """A mapping to check against the connector's samples, without saving it."""

    body_is: ClassVar[str] = '{"mapping": "<JSONata expression>"} and nothing else'

    mapping: Mapping


def _replay_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise problem("must be an ISO 8601 time such as 2026-11-20T10:15:00Z")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise problem("is not an ISO 8601 time such as 2026-11-20T10:15:00Z") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # no offset: UTC


ReplayTime = Annotated[
    datetime | None,
    BeforeValidator(_replay_time),
    WithJsonSchema({"type": ["string", "null"], "format": "date-time", "description": "no offset: UTC"}),
]
MAX_REPLAY_LIMIT = 10_000
# "duplicate" only on request: it picks events that an earlier replay found to be repeats (an
# event that arrived as a duplicate is never replayed; the event it repeats is); skipped likewise.
ReplayStatus = Literal["processed", "ignored", "parked", "rejected", "failed", "duplicate", "skipped"]
REPLAY_CHOICES: tuple[str, ...] = ReplayStatus.__args__  # type: ignore[attr-defined]
assert set(REPLAYABLE) <= set(REPLAY_CHOICES), "every status replayed by default can be asked for"


class ReplayInput(ApiInput):
    """Which kept events to run again through the current mapping and rules; apply=false previews."""

    body_is: ClassVar[str] = 'a JSON object such as {"statuses": ["failed"], "apply": false}'

    since: ReplayTime = None
    until: ReplayTime = None
    statuses: Annotated[
        list[ReplayStatus], Field(min_length=1), explain("must be a non-empty list of event statuses")
    ] = Field(default_factory=lambda: list[ReplayStatus](REPLAYABLE))  # type: ignore[arg-type]
    apply: bool = False
    limit: Annotated[
        int,
        Field(ge=1, le=MAX_REPLAY_LIMIT, description="raw events per call"),
        whole(1, MAX_REPLAY_LIMIT),
    ] = 1000
    after: Annotated[
        Annotated[int, Field(ge=0, le=MAX_ID)] | None,
        whole_or_null(0, MAX_ID, "must be an event id (the nextAfter of the previous answer)"),
        Field(description="the nextAfter of the previous answer"),
    ] = None

    @model_validator(mode="after")
    def _window(self) -> ReplayInput:
        if self.since is not None and self.until is not None and self.since >= self.until:
            shown = show(self.until.isoformat().replace("+00:00", "Z"))
            raise problem("must be after since", field="until", shown=shown)
        return self


# --- answers: what the API gives back (declared for /openapi.json) ---


class DryRunReport(ApiAnswer):
    """Every step of the pipeline for the request; nothing is stored (docs/test-mode.md)."""

    dry_run: Literal[True] = OMITTED
    auth: dict[str, Any] = OMITTED
    parse: dict[str, Any] = OMITTED
    counts: dict[str, Any] = OMITTED
    results: list[dict[str, Any]] = OMITTED


class PurgeCounts(ApiAnswer):
    events: int = OMITTED
    points_entries: int = OMITTED
    profiles: int = OMITTED
    requests: int = OMITTED


class Purge(ApiAnswer):
    purged: PurgeCounts = OMITTED


class Replay(ApiAnswer):
    """What a replay did, or would do (docs/replay-and-samples.md)."""

    applied: bool = OMITTED
    events: int = OMITTED
    counts: dict[str, Any] = OMITTED
    points_delta: int = OMITTED
    more: bool = OMITTED
    next_after: int = Field(OMITTED, description="when more: send as after to continue")
    next_since: datetime = OMITTED


class RecentRawEvent(ApiAnswer):
    event_id: int = OMITTED
    request_id: str = OMITTED
    index: int = OMITTED
    status: str = OMITTED
    test: bool = OMITTED
    received_at: datetime = OMITTED
    raw: Any = OMITTED


class Sample(ApiAnswer):
    id: int = OMITTED
    connector_id: str = OMITTED
    name: str = OMITTED
    body: StoredRawEvent = OMITTED
    headers: dict[str, Any] = OMITTED
    query: dict[str, Any] = OMITTED
    expected: Any = OMITTED
    mapping_version: int = OMITTED
    created_at: datetime = OMITTED


class MappingCheck(ApiAnswer):
    changed: int = OMITTED
    samples: list[dict[str, Any]] = OMITTED
