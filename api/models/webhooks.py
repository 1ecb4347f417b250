"""Webhook endpoints: where Inbound sends its messages, and which kinds."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field

from api.models.base import OMITTED, ApiAnswer, ApiInput, partial_of
from api.models.fields import Note, by, checked, explain
from webhooks.endpoints import KINDS, check_kind, check_url, unique

DEFAULT_OVERLAP_SECONDS = 86_400  # how long the previous secret still signs after a rotation
MAX_OVERLAP_SECONDS = 30 * 86_400
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


class NewWebhookEndpoint(WebhookEndpoint):
    """An endpoint as created: its signing secret is shown this once (and after each rotation)."""

    secret: str = Field(pattern="^whsec_")


class SecretRotation(ApiInput):
    """How long the previous secret keeps signing beside the new one."""

    body_is: ClassVar[str] = 'nothing, or an object such as {"keepPreviousSeconds": 86400}'

    keep_previous_seconds: Annotated[
        int,
        Field(ge=0, le=MAX_OVERLAP_SECONDS),
        checked(
            lambda v: not isinstance(v, bool) and isinstance(v, int) and 0 <= v <= MAX_OVERLAP_SECONDS,
            f"must be a whole number of seconds from 0 to {MAX_OVERLAP_SECONDS} (30 days)",
        ),
    ] = DEFAULT_OVERLAP_SECONDS


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


class Attempt(ApiAnswer):
    id: int = OMITTED
    at: datetime = OMITTED
    status_code: int | None = None
    latency_ms: float = OMITTED
    response_excerpt: str | None = None
    error: str | None = None


class WebhookMessageDetail(WebhookMessage):
    """A message with every attempt to deliver it."""

    attempt_log: list[Attempt] = OMITTED
