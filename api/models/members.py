"""Members as the admin API registers and changes them: identities, attributes, merges, tokens."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from api.http import MAX_ID
from api.models.base import OMITTED, ApiAnswer, ApiInput
from api.models.fields import checked, explain, text, whole

MAX_IDENTITIES = 10
MAX_ATTRIBUTES = 50
MAX_TOKEN_SECONDS = 366 * 86_400
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")


def _attribute_value(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= 500 and "\x00" not in value
    return isinstance(value, bool) or (isinstance(value, (int, float)) and abs(value) < 1e15)


AttributeName = Annotated[
    str,
    checked(
        lambda v: isinstance(v, str) and bool(ATTRIBUTE_NAME.match(v)),
        "is not a name: a letter or _ then letters, digits, _ . - (at most 64 characters)",
    ),
]
_VALUE_WORDS = "must be text (at most 500 characters), a number (below 1e15) or true/false"
AttributeValue = Annotated[str | int | float | bool, checked(_attribute_value, _VALUE_WORDS)]
RemovableValue = Annotated[
    str | int | float | bool | None,
    checked(lambda v: v is None or _attribute_value(v), _VALUE_WORDS + ", or null to remove it"),
]
_ATTRIBUTES_EXAMPLE = 'must be an object such as {"tier": "gold", "signupDate": "2026-01-31"}'


class IdentityInput(ApiInput):
    """One way to recognise a member: an identity kind (default `default`) and its value."""

    body_is: ClassVar[str] = 'an object such as {"kind": "default", "value": "ann@example.com"}'

    kind: Annotated[
        str, text(64, "must be non-empty text of at most 64 characters"), Field(min_length=1, max_length=64)
    ] = "default"
    value: Annotated[
        str,
        text(512, "must be non-empty text of at most 512 characters"),
        Field(min_length=1, max_length=512),
    ]


class MemberInput(ApiInput):
    """A member registered by the program: identities first (the first is the main one)."""

    body_is: ClassVar[str] = 'an object such as {"identities": [{"value": "ann@example.com"}]}'

    identities: Annotated[
        list[IdentityInput],
        Field(min_length=1, max_length=MAX_IDENTITIES),
        explain(f'must list 1 to {MAX_IDENTITIES} identities, e.g. [{{"value": "ann@example.com"}}]'),
    ]
    attributes: Annotated[
        dict[AttributeName, AttributeValue],
        Field(max_length=MAX_ATTRIBUTES),
        explain(_ATTRIBUTES_EXAMPLE + f", with at most {MAX_ATTRIBUTES} attributes"),
    ] = Field(default_factory=dict)


class MemberPatch(ApiInput):
    """The attributes to set; null removes one."""

    body_is: ClassVar[str] = '{"attributes": {…}}: the attributes to set (null removes one)'

    attributes: Annotated[
        dict[AttributeName, RemovableValue],
        Field(max_length=MAX_ATTRIBUTES),
        explain(_ATTRIBUTES_EXAMPLE + f", with at most {MAX_ATTRIBUTES} attributes"),
    ]


class MergeInput(ApiInput):
    """The member whose points, history and identities move into this one."""

    body_is: ClassVar[str] = '{"memberId": 12}, the member to merge into this one'

    member_id: Annotated[int, Field(ge=1, le=MAX_ID), whole(1, MAX_ID)]


class MemberTokenInput(ApiInput):
    """How long a member token lasts; left out: the program's default."""

    body_is: ClassVar[str] = '{"expiresInSeconds": 3600} or nothing'

    expires_in_seconds: Annotated[
        Annotated[int, Field(ge=60, le=MAX_TOKEN_SECONDS)] | None, whole(60, MAX_TOKEN_SECONDS)
    ] = None


# --- answers: what the API gives back (declared for /openapi.json) ---


class MemberIdentities(ApiAnswer):
    kind: str = OMITTED
    value: str = OMITTED


class Member(ApiAnswer):
    id: int = OMITTED
    identities: list[MemberIdentities] = OMITTED
    attributes: dict[str, Any] = OMITTED
    registered_at: str | None = None
    created_at: datetime = OMITTED
    balance: int = OMITTED
    lifetime_points: int = OMITTED


class MemberToken(ApiAnswer):
    id: str = OMITTED
    member_id: int = OMITTED
    created_at: datetime = OMITTED
    expires_at: datetime = OMITTED
    revoked_at: str | None = None
    status: Literal["active", "expired", "revoked"] = OMITTED
    token: str = Field(OMITTED, description="shown once, when issued")


class ReleasedParked(ApiAnswer):
    released: int = OMITTED
    results: list[dict[str, Any]] = OMITTED
