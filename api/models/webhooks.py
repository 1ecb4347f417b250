"""Webhook endpoints: where Inbound sends its messages, and which kinds."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from api.models.base import ApiInput, partial_of
from api.models.fields import Note, by, explain
from webhooks.endpoints import KINDS, check_kind, check_url, unique

Kind = Annotated[str, by(check_kind), Field(json_schema_extra={"enum": list(KINDS)})]


class WebhookEndpointInput(ApiInput):
    """A new endpoint: `url` and `kinds` are needed."""

    body_is: ClassVar[str] = 'an object such as {"url": "https://…", "kinds": ["points.awarded"]}'

    url: Annotated[str, by(check_url), Field(max_length=2000, description="http:// or https://, with a host")]
    kinds: Annotated[
        list[Kind],
        Field(min_length=1),
        explain(f"must be a non-empty list of: {', '.join(KINDS)}"),
        AfterValidator(unique),
    ]
    description: Note = None
    test: bool = Field(False, description="true: it receives test data's messages, not live data's")
    status: Literal["enabled", "disabled"] = "enabled"


WebhookEndpointPatch = partial_of(
    WebhookEndpointInput, "WebhookEndpointPatch", "A change to an endpoint: only the fields sent change."
)
