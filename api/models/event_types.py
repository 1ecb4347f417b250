"""Custom event types: a name, a JSON Schema for their payloads, who reports them, and enhancers."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from api.models.base import OMITTED, ApiAnswer, ApiInput
from api.models.fields import checked, whole_or_null
from event_types import NAME_PATTERN
from event_types.dates import MAX_BOUND_SECONDS
from event_types.enhancers import KINDS, MAX_ENHANCERS

_NAME = re.compile(NAME_PATTERN)
Seconds = Annotated[
    Annotated[int, Field(ge=0, le=MAX_BOUND_SECONDS, description="seconds")] | None,
    whole_or_null(0, MAX_BOUND_SECONDS),
]


class OccurredAtBounds(ApiInput):
    """How far from now an event's occurredAt may be; null or left out: the program's defaults."""

    max_past_seconds: Seconds = None
    max_future_seconds: Seconds = None


EnhancerKind = Literal["random", "time_parts", "member_attributes", "nth_event"]
assert EnhancerKind.__args__ == KINDS, "the API's enhancers are event_types.enhancers'"  # type: ignore[attr-defined]


class Enhancer(ApiInput):
    """A fact the type adds to each of its events (docs/event-types.md)."""

    kind: EnhancerKind
    attributes: Annotated[
        list[Annotated[str, Field(min_length=1)]] | None,
        Field(max_length=50, description="member_attributes only: which attributes; left out: all"),
    ] = None


class EventTypeFields(ApiInput):
    """What a PUT replaces: everything but the name."""

    body_is: ClassVar[str] = "an object with name, schema and description"

    json_schema: dict[str, Any] = Field(alias="schema", description="a JSON Schema (2020-12) object")
    description: str = ""
    reporting: Literal["connectors", "public", "private"] = "connectors"
    occurred_at: OccurredAtBounds = Field(default_factory=OccurredAtBounds)
    enhancers: Annotated[list[Enhancer], Field(max_length=MAX_ENHANCERS)] = Field(default_factory=list)
    name: str | None = Field(None, description="the type's name, as in the path (PUT cannot rename)")

    def columns(self) -> dict[str, Any]:
        return {
            "json_schema": self.json_schema,
            "description": self.description,
            "reporting": self.reporting,
            **self.occurred_at.model_dump(),
            "enhancers": [e.model_dump(exclude_none=True) for e in self.enhancers],
        }


class EventTypeInput(EventTypeFields):
    """A new custom event type."""

    name: Annotated[
        str,
        checked(
            lambda v: isinstance(v, str) and bool(_NAME.match(v)),
            'must be dotted lower-case words such as "shop.review"',
        ),
        Field(pattern=NAME_PATTERN),
    ]


# --- answers: what the API gives back (declared for /openapi.json) ---


class EventTypeOccurredAt(ApiAnswer):
    max_past_seconds: int | None = None
    max_future_seconds: int | None = None


class EventTypeEnhancers(ApiAnswer):
    kind: str = OMITTED


class EventType(ApiAnswer):
    name: str = OMITTED
    description: str = OMITTED
    json_schema: dict[str, Any] = Field(OMITTED, alias="schema")
    builtin: bool = OMITTED
    reporting: Literal["connectors", "public", "private", "intrinsic"] = OMITTED
    occurred_at: EventTypeOccurredAt = OMITTED
    enhancers: list[EventTypeEnhancers] = OMITTED
    secret: str = Field(OMITTED, description="a private type's secret: shown once")
