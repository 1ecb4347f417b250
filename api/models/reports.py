"""Events reported straight to Inbound (public and private event types), and by an admin by hand."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, WithJsonSchema

from api.models.base import OMITTED, ApiAnswer, ApiInput
from api.models.fields import text

EventTypeName = Annotated[
    str,
    text(200, 'must be text, the name of an event type such as "app.checkin"'),
    Field(min_length=1, max_length=200),
]


class EventPayload(ApiInput):
    """The event type's own view; its schema says which tags and counters it takes."""

    tags: Annotated[dict[str, Any] | None, Field(description='name: text, e.g. {"store": "brussels"}')] = None
    counters: Annotated[dict[str, Any] | None, Field(description='name: number, e.g. {"amount": 12.5}')] = (
        None
    )

    def parts(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ("tags", "counters") if name in self.model_fields_set}


class ManualEventInput(ApiInput):
    """An event an admin reports about a member by hand: the admin key is the authority."""

    body_is: ClassVar[str] = 'an object such as {"type": "app.checkin"}'

    type: EventTypeName
    payload: EventPayload = Field(default_factory=lambda: EventPayload())
    occurred_at: Annotated[
        Any,
        WithJsonSchema(
            {
                "type": ["string", "number", "null"],
                "description": "ISO 8601, or epoch seconds or ms; default now",
            }
        ),
    ] = None
    test: bool = False


class ReportedEventInput(ManualEventInput):
    """A public event (the member's token reports it) or a private one (the type's secret)."""

    subject: Annotated[
        Any,
        WithJsonSchema(
            {
                "type": "object",
                "description": 'private types: {"memberId": 12} or {"kind": "default", "value": "…"}; '
                "public types: the token's member (leave it out)",
            }
        ),
    ] = None


# --- answers: what the API gives back (declared for /openapi.json) ---


class ReportedEventResult(ApiAnswer):
    request_id: str = OMITTED
    event_id: int = OMITTED
    status: Literal["processed"] = OMITTED
    awards: list[Any] = OMITTED
