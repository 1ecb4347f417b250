"""Webhook endpoints: where Inbound sends its messages, and which kinds."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, ConfigDict, Field, RootModel

from api.models.base import OMITTED, ApiAnswer, ApiInput, partial_of
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


# --- answers: what the API gives back (declared for /openapi.json) ---


class WebhookEndpointMessages(ApiAnswer):
    pending: int = OMITTED
    delivered: int = OMITTED
    failed: int = OMITTED


class WebhookEndpoint(ApiAnswer):
    id: str = OMITTED
    url: str = OMITTED
    description: str | None = None
    kinds: list[str] = OMITTED
    test: bool = OMITTED
    status: Literal["enabled", "disabled"] = OMITTED
    disabled_reason: str | None = None
    failing_since: str | None = None
    previous_secret_valid_until: str | None = None
    created_at: datetime = OMITTED
    updated_at: datetime = OMITTED
    messages: WebhookEndpointMessages = OMITTED


class WebhookEndpoints(ApiAnswer):
    items: list[WebhookEndpoint] = OMITTED
    kinds: dict[str, Any] = Field(OMITTED, description="every kind, and when it is sent")


class NewWebhookEndpoint(RootModel[Any]):
    """NewWebhookEndpoint"""


class SecretRotation(ApiAnswer):
    model_config = ConfigDict(extra="forbid")

    keep_previous_seconds: int = Field(OMITTED, ge=0, le=2592000)


class WebhookMessagePayload(ApiAnswer):
    type: str = OMITTED
    timestamp: datetime = OMITTED
    data: dict[str, Any] = OMITTED


class WebhookMessage(ApiAnswer):
    id: int = OMITTED
    message_id: str = OMITTED
    endpoint_id: str = OMITTED
    kind: str = OMITTED
    status: Literal["pending", "delivered", "failed"] = OMITTED
    attempts: int = OMITTED
    sending: bool = Field(OMITTED, description="a delivery worker is sending it right now")
    next_attempt_at: str | None = None
    created_at: datetime = OMITTED
    delivered_at: str | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    test: bool = OMITTED
    payload: WebhookMessagePayload = OMITTED


class WebhookMessageDetail(RootModel[Any]):
    """WebhookMessageDetail"""
