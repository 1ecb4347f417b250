"""Who may use the admin API and the shared integration pages: admin keys and share links."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from api.models.base import ApiInput
from api.models.fields import text, whole
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
