"""Rewards in the catalog, and what a purchase, a cancel or a redeem takes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from api.models.base import OMITTED, ApiAnswer, ApiInput, partial_of
from api.models.fields import (
    Description,
    ImageUrl,
    InstantOrNull,
    Name,
    Note,
    an_id,
    problem,
    whole,
    whole_or_null,
)
from earning_rules.periods import PERIODS
from earning_rules.rewards import MAX_POINTS
from earning_rules.validate import show
from rewards.catalog import MAX_STOCK

Period = Literal["day", "week", "month", "year", "ever"]
assert set(Period.__args__) == set(PERIODS), "the API's periods are the rules' periods"  # type: ignore[attr-defined]


RewardId = Annotated[
    str, an_id("must be a reward's id (GET /api/rewards lists them)"), Field(min_length=1, max_length=40)
]


class RewardLimit(ApiInput):
    """How many a member may have per calendar period (in the program's time zone)."""

    max: Annotated[int, Field(ge=1, le=MAX_STOCK), whole(1, MAX_STOCK)]
    period: Period = "ever"


class RewardInput(ApiInput):
    """A new reward: `name` and `cost` (points) are needed."""

    body_is: ClassVar[str] = 'an object such as {"name": "Free coffee", "cost": 500}'

    name: Name
    description: Description = None
    image_url: ImageUrl = None
    cost: Annotated[int, Field(ge=0, le=MAX_POINTS, description="points"), whole(0, MAX_POINTS)]
    stock: Annotated[Annotated[int, Field(ge=0, le=MAX_STOCK)] | None, whole_or_null(0, MAX_STOCK)] = None
    limit: RewardLimit | None = None
    available_from: InstantOrNull = None
    available_until: InstantOrNull = None
    valid_days: Annotated[Annotated[int, Field(ge=1, le=36_500)] | None, whole_or_null(1, 36_500)] = None
    status: Literal["active", "paused", "archived"] = "active"

    @model_validator(mode="after")
    def _window(self) -> RewardInput:
        start, end = self.available_from, self.available_until
        if start is not None and end is not None and end <= start:
            shown = show(end.isoformat().replace("+00:00", "Z"))
            raise problem("must be after availableFrom", field="availableUntil", shown=shown)
        return self


RewardPatch = partial_of(RewardInput, "RewardPatch", "A change to a reward: only the fields sent change.")


def reward_columns(values: dict[str, Any]) -> dict[str, Any]:
    """A reward's fields as its columns: a limit is two."""
    if "limit" in values:
        limit = values.pop("limit")
        values["limit_max"] = limit.max if limit else None
        values["limit_period"] = limit.period if limit else None
    return values


class PurchaseInput(ApiInput):
    """Spend a member's points on a reward."""

    body_is: ClassVar[str] = 'an object such as {"reward": "rwd_…"}'

    reward: RewardId
    test: bool = False


class IssuedRewardNote(ApiInput):
    """Why an issued reward is cancelled, or where it was used."""

    body_is: ClassVar[str] = 'an object such as {"note": "why"}'

    note: Note = None


# --- answers: what the API gives back (declared for /openapi.json) ---


class Reward(ApiAnswer):
    id: str = OMITTED
    name: str = OMITTED
    description: str | None = None
    image_url: str | None = None
    cost: int = OMITTED
    stock: int | None = None
    issued: int = OMITTED
    limit: dict[str, Any] | None = None
    available_from: str | None = None
    available_until: str | None = None
    valid_days: int | None = None
    status: Literal["active", "paused", "archived"] = OMITTED
    created_at: datetime = OMITTED
    updated_at: datetime = OMITTED


class Rewards(ApiAnswer):
    items: list[Reward] = OMITTED


class IssuedReward(ApiAnswer):
    id: int = OMITTED
    reward: str = OMITTED
    name: str | None = None
    code: str = OMITTED
    status: Literal["issued", "redeemed", "expired", "cancelled"] = OMITTED
    source: Literal["purchase", "rule"] = OMITTED
    cost: int = OMITTED
    spend_entry_id: int | None = None
    refund_entry_id: int | None = None
    rule_id: str | None = None
    rule_version: int | None = None
    event_id: int | None = None
    issued_at: datetime = OMITTED
    expires_at: str | None = None
    history: list[dict[str, Any]] = OMITTED
    test: bool = OMITTED
    member_id: int = OMITTED
    balance: int = Field(OMITTED, description="the member's balance after (purchase, cancel)")
    followed_by: dict[str, Any] = Field(OMITTED, description="the PURCHASED_REWARD event (purchase)")


class IssuedRewards(ApiAnswer):
    items: list[IssuedReward] = OMITTED
