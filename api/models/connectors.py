"""A connector's settings and credentials, as the admin API takes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainValidator,
    WithJsonSchema,
)
from pydantic.json_schema import SkipJsonSchema

from api.models.base import OMITTED, ApiAnswer, ApiInput, partial_of
from api.models.fields import checked, explain, problem, refused, text
from connectors.model import DEFAULT_MAPPING, MAX_SECRET, check_origin


class AuthSettings(ApiAnswer):
    """See docs/auth-methods.md for every setting of each method."""

    method: Literal["query_token", "header_token", "basic", "hub_signature"]
    preset: str | None = None


def _origin(value: Any) -> str:
    origin = check_origin(value)
    if origin is None:
        raise problem('must be an origin such as "https://shop.example.com" or "*"')
    return origin


def _secret(what: str, left_out: str) -> Any:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise problem(
                f"is not a text; give the {what} as a string of at most {MAX_SECRET} characters, {left_out}"
            )
        if not value.strip() or len(value) > MAX_SECRET:
            shown = f'"<{len(value)} characters>"'  # a secret is never quoted back
            raise problem(f"must be a non-empty text of at most {MAX_SECRET} characters", shown=shown)
        return value

    return check


Origin = Annotated[str, BeforeValidator(_origin)]


def _auth_object(value: Any) -> dict[str, Any]:
    # Its settings are the auth method's to check (connectors/auth_parse.py), with their own words.
    if not isinstance(value, dict):
        raise problem('must be an object such as {"method": "query_token"}')
    return value


AuthObject = Annotated[dict[str, Any], PlainValidator(_auth_object, json_schema_input_type=AuthSettings)]
Mapping = Annotated[
    str, checked(lambda v: isinstance(v, str) and bool(v.strip()), "must be a non-empty JSONata expression")
]
EventTypeName = Annotated[
    str, checked(lambda v: isinstance(v, str) and bool(v), 'must name an event type such as "custom.basic"')
]
_SECRET = {"type": "string", "minLength": 1, "maxLength": MAX_SECRET}
# Optional for the model, not for the caller: null is refused as any non-text is.
Secret = Annotated[
    str | None,
    BeforeValidator(_secret("token or secret", "or leave secret out to have one generated")),
    WithJsonSchema({**_SECRET, "description": "a secret given by the sender (create only)"}),
]
CredentialValue = Annotated[
    str | None,
    BeforeValidator(_secret("token or secret", "or leave value out to have one generated")),
    WithJsonSchema({**_SECRET, "description": "the sender's token or secret; left out: one is generated"}),
]


def _test_secret(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    return _secret("test token or secret", "true or null to have one generated, or false for none")(value)


TestSecret = Annotated[
    Any,
    BeforeValidator(_test_secret),
    WithJsonSchema(
        {
            "type": ["string", "boolean", "null"],
            "description": "a test credential (create only): "
            "a text, true or null to generate one, false for none",
        }
    ),
]


class ConnectorInput(ApiInput):
    """A new connector: only `name` is needed; the rest has a default."""

    body_is: ClassVar[str] = "a JSON object with the connector's settings"

    name: Annotated[str, text(200), Field(min_length=1, max_length=200), AfterValidator(str.strip)]
    auth: AuthObject = Field(default_factory=lambda: {"method": "query_token"})
    mapping: Mapping = Field(DEFAULT_MAPPING, description="a JSONata expression; default $")
    event_type: EventTypeName = "custom.basic"
    mode: Literal["live", "test"] = "live"
    status: Literal["active", "disabled"] = "active"
    create_profiles: bool = True
    allowed_origins: Annotated[list[Origin], explain("must be a list of origins")] = Field(
        default_factory=list
    )
    allow_get: bool = False
    secret: Secret = None
    test_secret: TestSecret = False
    accept_sample_changes: Annotated[
        bool, refused("applies to PATCH only, when a new mapping changes samples' outputs"), SkipJsonSchema()
    ] = False

    def settings(self) -> dict[str, Any]:
        """The connector's columns."""
        return self.model_dump(exclude={"secret", "test_secret", "accept_sample_changes"})

    def credentials(self) -> dict[str, str | None]:
        """Which credentials to create: field -> the value given, or None to generate one."""
        wanted: dict[str, str | None] = {"secret": self.secret}
        if self.test_secret is not False:
            wanted["testSecret"] = self.test_secret if isinstance(self.test_secret, str) else None
        return wanted


_CREATE_ONLY = "set at creation only; add one with POST /api/connectors/{id}/credentials"

ConnectorPatch = partial_of(
    ConnectorInput,
    "ConnectorPatch",
    "A change to a connector: only the fields sent change.",
    drop=("secret", "test_secret", "accept_sample_changes"),
    secret=(Annotated[Any, refused(_CREATE_ONLY), SkipJsonSchema()], None),
    test_secret=(Annotated[Any, refused(_CREATE_ONLY), SkipJsonSchema()], None),
    accept_sample_changes=(
        bool,
        Field(False, description="save a mapping even though it changes samples' outputs"),
    ),
)


class CredentialInput(ApiInput):
    """A credential to add: a value the sender issued, or none to have one generated."""

    body_is: ClassVar[str] = 'an object such as {"test": false}'

    value: CredentialValue = None
    test: bool = False


# --- answers: what the API gives back (declared for /openapi.json) ---


class Credential(ApiAnswer):
    """`value` is shown in full once, when created; masked afterwards."""

    id: str = OMITTED
    test: bool = OMITTED
    created_at: datetime = OMITTED
    revoked_at: str | None = None
    value: str = OMITTED


class Connector(ApiAnswer):
    id: str = OMITTED
    name: str = OMITTED
    url: str = OMITTED
    auth: AuthSettings = OMITTED
    mapping: str = OMITTED
    mapping_version: int = OMITTED
    event_type: str = OMITTED
    mode: Literal["live", "test"] = OMITTED
    status: Literal["active", "disabled"] = OMITTED
    create_profiles: bool = OMITTED
    allowed_origins: list[str] = OMITTED
    allow_get: bool = OMITTED
    created_at: datetime = OMITTED
    updated_at: datetime = OMITTED
    credentials: list[Credential] = OMITTED


class MappingVersion(ApiAnswer):
    version: int = OMITTED
    mapping: str = OMITTED
    created_at: datetime = OMITTED
