"""Badges as marketers define them, and a badge granted by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from api.models.base import OMITTED, ApiAnswer, ApiInput, partial_of
from api.models.fields import Description, ImageUrl, Name, Note, an_id

BadgeId = Annotated[
    str, an_id("must be a badge's id (GET /api/badges lists them)"), Field(min_length=1, max_length=40)
]


class BadgeInput(ApiInput):
    """A new badge: only `name` is needed."""

    body_is: ClassVar[str] = 'an object such as {"name": "Early bird", "repeatable": false}'

    name: Name
    description: Description = None
    image_url: ImageUrl = None
    repeatable: bool = Field(False, description="true: a member can earn it more than once")
    status: Literal["active", "archived"] = "active"


BadgePatch = partial_of(BadgeInput, "BadgePatch", "A change to a badge: only the fields sent change.")


class BadgeGrantInput(ApiInput):
    """A badge granted by hand."""

    body_is: ClassVar[str] = 'an object such as {"badge": "bdg_…", "note": "won the quiz", "test": false}'

    badge: BadgeId
    note: Note = None
    test: bool = False


# --- answers: what the API gives back (declared for /openapi.json) ---


class Badge(ApiAnswer):
    id: str = OMITTED
    name: str = OMITTED
    description: str | None = None
    image_url: str | None = None
    repeatable: bool = OMITTED
    status: Literal["active", "archived"] = OMITTED
    created_at: datetime = OMITTED
    updated_at: datetime = OMITTED
    holders: int = Field(OMITTED, description="in the list: live members who have it")
    granted: int = Field(OMITTED, description="in the list: its live grants, repeats included")


class Badges(ApiAnswer):
    items: list[Badge] = OMITTED


class MemberBadge(ApiAnswer):
    id: int = OMITTED
    badge: str = OMITTED
    name: str | None = None
    image_url: str | None = None
    granted_at: datetime = OMITTED
    source: Literal["rule", "manual"] = OMITTED
    rule_id: str | None = None
    rule_version: int | None = None
    event_id: int | None = None
    note: str | None = None
    test: bool = OMITTED


class MemberBadges(ApiAnswer):
    items: list[MemberBadge] = OMITTED
