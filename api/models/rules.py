"""An earning rule's JSON, declared for /openapi.json: the shape docs/earning-rules.md describes.

A rule's fields are snake_case: the rule is a document marketers write and storage keeps as it
is, not a set of columns. Its reader is the pure `earning_rules` package, which every stored
version goes through too; these models only declare the shape. tests/test_rule_document.py holds
the two together: the same fields at every level, and every example rule valid under both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator

from api.models.base import OMITTED, ApiAnswer, ApiInput, partial_of
from api.models.fields import problem, whole
from earning_rules.rewards import MAX_FACTOR, MAX_POINTS


class RulePart(BaseModel):
    """A part of a rule's document: its own names, nothing else."""

    model_config = ConfigDict(extra="forbid")


class TagCondition(RulePart):
    """A text fact of the event (a tag) compared with a value."""

    tag: str = Field(max_length=200)
    op: Literal["eq", "ne", "in", "not_in", "contains", "starts_with", "regex", "exists", "missing"]
    value: str | list[str] | None = Field(
        None, description="none for exists and missing; a list for in/not_in"
    )


class CounterCondition(RulePart):
    """A number fact of the event (a counter) compared with a number."""

    counter: str = Field(max_length=200)
    op: Literal["eq", "ne", "gt", "gte", "lt", "lte", "between", "exists", "missing"]
    value: float | list[float] | None = Field(None, description="[low, high] for between")


class AllOf(RulePart):
    """Every condition listed must hold."""

    all: list[Condition] = Field(min_length=1)


class AnyOf(RulePart):
    """At least one condition listed must hold."""

    any: list[Condition] = Field(min_length=1)


Condition = TagCondition | CounterCondition | AllOf | AnyOf


class RuleSource(RulePart):
    """The events the rule listens to: exactly one key."""

    any: Literal[True] | None = None
    connector: str | None = None
    event_type: str | None = None


class FixedReward(RulePart):
    points: int = Field(ge=-MAX_POINTS, le=MAX_POINTS, description="not 0")


class PointsPerUnitReward(RulePart):
    counter: str
    per: float = Field(1, gt=0)
    points: float = Field(1, description="not 0")
    rounding: Literal["floor", "round", "ceil"] = "floor"
    cap: int | None = Field(None, ge=1, le=MAX_POINTS)


class MultiplierReward(RulePart):
    factor: float = Field(gt=0, le=MAX_FACTOR)
    rounding: Literal["floor", "round", "ceil"] = "floor"
    cap: int | None = Field(None, ge=1, le=MAX_POINTS)


class RuleReward(RulePart):
    """How many points: exactly one key."""

    fixed: Annotated[int, Field(ge=-MAX_POINTS, le=MAX_POINTS)] | FixedReward | None = Field(
        None, description='points, not 0: 50, or {"points": 50}'
    )
    points_per_unit: PointsPerUnitReward | None = None
    multiplier: MultiplierReward | None = None


class RuleLimit(RulePart):
    """How often, or how many points, per member or for the whole rule, in a window."""

    scope: Literal["profile", "rule"]
    period: Literal["day", "week", "month", "year", "ever"] | None = None
    rolling_hours: int | None = Field(None, ge=1)
    rolling_days: int | None = Field(None, ge=1)
    max_times: int | None = Field(None, ge=1)
    max_points: int | None = Field(None, ge=1)
    when_exceeded: Literal["cap", "skip"] = "cap"


class RuleReaction(RulePart):
    """What else happens when the rule matches: exactly one key, naming what to grant or call."""

    badge: str | None = Field(None, max_length=40)
    reward: str | None = Field(None, max_length=40)
    webhook: str | None = Field(None, max_length=40)


class RuleInput(RulePart):
    """An earning rule (docs/earning-rules.md). A PUT replaces the whole rule with a new version."""

    name: str = Field(max_length=200)
    description: str | None = Field(None, max_length=2000)
    status: Literal["draft", "active", "paused", "archived"] = "draft"
    priority: int = Field(0, ge=-1_000_000, le=1_000_000)
    stop: bool = Field(False, description="true: rules of lower priority are not judged after this one")
    source: RuleSource | None = None
    active_from: datetime | None = None
    active_until: datetime | None = None
    conditions: Condition | None = None
    reward: RuleReward | None = Field(None, description="needed unless the rule has reactions")
    limits: list[RuleLimit] | None = None
    reactions: list[RuleReaction] | None = Field(None, max_length=20)


RulePatch = partial_of(
    RuleInput,
    "RulePatch",
    "The fields to change; `version` (as read) refuses the change if the rule changed since.",
    id=(str | None, Field(None, description="if given, this rule's id (a rule read and sent back)")),
    version=(int | None, Field(None, description="the version read; another is 409 rule_changed")),
)


class Rule(RuleInput):
    """A rule as stored: its definition in normal form, with its id and version."""

    model_config = ConfigDict(extra="allow")

    id: str
    version: int
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")


class RuleVersion(BaseModel):
    """One version of a rule, as it was saved."""

    version: int
    definition: RuleInput
    created_at: datetime = Field(alias="createdAt")


def _rule_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise problem("must be a JSON object describing the rule")
    # A rule copied from GET /api/rules keeps its id and version: they are not the definition.
    return {k: v for k, v in value.items() if k not in ("id", "version", "createdAt", "updatedAt")}


class RulePreviewInput(ApiInput):
    """A rule, saved or not, judged against recent events of its source, writing nothing."""

    body_is: ClassVar[str] = '{"rule": {…the rule…}, "limit": 50}'

    # Read by earning_rules after this shape check, as a saved rule is.
    rule: Annotated[dict[str, Any], PlainValidator(_rule_object, json_schema_input_type=RuleInput)]
    limit: Annotated[int, Field(ge=1, le=500, description="how many recent events"), whole(1, 500)] = 50


AllOf.model_rebuild()
AnyOf.model_rebuild()


# --- answers: what the API gives back (declared for /openapi.json) ---


class RulePreview(ApiAnswer):
    events: int = OMITTED
    matched: int = OMITTED
    points: int = OMITTED
    members: int = OMITTED
    limits_counted: bool = OMITTED
    items: list[dict[str, Any]] = OMITTED
