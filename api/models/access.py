"""Who may use the admin API and the shared integration pages: admin keys and share links."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field

from api.models.base import OMITTED, ApiAnswer, ApiInput
from api.models.connectors import AuthSettings
from api.models.fields import text, whole
from api.models.ingest import StoredRawEvent
from api.roles import ROLES

MAX_SHARE_DAYS = 90
Role = Literal["owner", "developer", "marketer", "viewer"]
assert set(Role.__args__) == set(ROLES), "the API's roles are api/roles.py's"  # type: ignore[attr-defined]


class AdminKeyInput(ApiInput):
    """A new admin key for a person or a system, with the role that bounds what it may do."""

    body_is: ClassVar[str] = 'an object such as {"name": "Mia (marketing)", "role": "marketer"}'

    name: Annotated[str, text(100), Field(min_length=1, max_length=100), AfterValidator(str.strip)]
    role: Role


class ShareLinkInput(ApiInput):
    """How long a shared integration page stays open."""

    body_is: ClassVar[str] = 'an object such as {"days": 7}'

    days: Annotated[int, Field(ge=1, le=MAX_SHARE_DAYS), whole(1, MAX_SHARE_DAYS)] = 7


# --- answers: what the API gives back (declared for /openapi.json) ---


class AdminKey(ApiAnswer):
    id: str = OMITTED
    name: str = OMITTED
    role: Literal["owner", "developer", "marketer", "viewer"] = OMITTED
    prefix: str = OMITTED
    created_at: datetime = OMITTED
    revoked_at: str | None = None


class NewAdminKey(AdminKey):
    """A key as created: its token is shown this once."""

    token: str


class AuditEntryKey(ApiAnswer):
    id: str | None = None
    name: str = OMITTED
    role: str = OMITTED


class AuditEntry(ApiAnswer):
    id: int = OMITTED
    at: datetime = OMITTED
    key: AuditEntryKey = OMITTED
    method: str = OMITTED
    path: str = OMITTED
    status: int = OMITTED
    request: Any = OMITTED
    before: Any = OMITTED
    after: Any = OMITTED


class ShareLink(ApiAnswer):
    url: str = OMITTED
    expires_at: str = OMITTED
    connector_id: str = OMITTED


class ShareLinkRotation(ApiAnswer):
    connector_id: str = OMITTED
    revoked: bool = OMITTED
    epoch: int = OMITTED


class IntegrationPageAuth(ApiAnswer):
    method: str = OMITTED
    settings: AuthSettings = OMITTED
    summary: str = OMITTED
    steps: list[Any] = OMITTED


class IntegrationPageSnippets(ApiAnswer):
    curl: str = OMITTED
    python: str = OMITTED
    javascript: str = OMITTED


class IntegrationPageMapping(ApiAnswer):
    expression: str = OMITTED
    version: int = OMITTED


class IntegrationPageExample(ApiAnswer):
    source: Literal["latest_event", "saved_sample", "sample"] = OMITTED
    raw_event: StoredRawEvent = OMITTED
    warnings: list[str] = OMITTED
    redacted: list[str] = OMITTED


class IntegrationPage(ApiAnswer):
    """Everything a sender's developer needs; secrets are placeholders."""

    connector: dict[str, Any] = OMITTED
    request: dict[str, Any] = OMITTED
    auth: IntegrationPageAuth = OMITTED
    snippets: IntegrationPageSnippets = OMITTED
    mapping: IntegrationPageMapping = OMITTED
    example: IntegrationPageExample = OMITTED
    expected_payload: dict[str, Any] = Field(
        OMITTED, description="the fields the mapping reads and the payload's shape (types, no values)"
    )
    testing: dict[str, Any] = Field(
        OMITTED, description="how to try the integration with the test credential, and purge"
    )
    mapped_event_contract: dict[str, Any] = OMITTED
