"""A rule's definition: parsed from the admin API's JSON, and written back in a normal form.

    {"name": "Big spender", "description": null, "status": "active", "priority": 10, "stop": true,
     "source": {"event_type": "ecommerce.purchase"},
     "active_from": "2026-12-01T00:00:00Z", "active_until": "2027-01-01T00:00:00Z",
     "conditions": {"all": [...]}, "reward": {"points_per_unit": {...}}, "limits": [...]}

`rule_definition_to_json` always writes every field (null when unset), so what storage keeps
reads the same in every version and parses back to an equal definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from earning_rules import validate as v
from earning_rules.conditions import Condition, conditions_to_json, parse_conditions
from earning_rules.limits import Limit, limit_to_json, parse_limits
from earning_rules.reactions import Reaction, parse_reactions, reactions_to_json
from earning_rules.rewards import REWARD_KINDS, Reward, parse_reward, reward_to_json

STATUSES = ("draft", "active", "paused", "archived")
SOURCE_KINDS = ("any", "connector", "event_type")
FIELDS = (
    "name",
    "description",
    "status",
    "priority",
    "stop",
    "source",
    "active_from",
    "active_until",
    "conditions",
    "reward",
    "limits",
    "reactions",
)
_MAX_PRIORITY = 1_000_000


@dataclass(frozen=True)
class Source:
    """Which events the rule listens to: one connector, one event type, or any event."""

    kind: Literal["any", "connector", "event_type"] = "any"
    value: str | None = None

    def accepts(self, connector_id: str, event_type: str) -> bool:
        if self.kind == "connector":
            return connector_id == self.value
        if self.kind == "event_type":
            return event_type == self.value
        return True


@dataclass(frozen=True)
class RuleDefinition:
    name: str
    reward: Reward | None  # None: the rule only reacts (a badge, a webhook), with no points
    status: str = "draft"
    priority: int = 0
    stop: bool = False
    source: Source = Source()
    conditions: Condition | None = None  # None: every event from the source matches
    limits: tuple[Limit, ...] = ()
    active_from: datetime | None = None  # inclusive
    active_until: datetime | None = None  # exclusive
    description: str | None = None
    reactions: tuple[Reaction, ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    definition: RuleDefinition


def parse_rule(data: Mapping[str, Any]) -> RuleDefinition:
    """Validate an admin-API body; errors.InvalidRule names the field path and the bad value."""
    body = v.obj(data, "", FIELDS) if isinstance(data, Mapping) else v.fail("body", "must be a JSON object")
    if "name" not in body:
        v.fail("name", "is required")
    reactions = parse_reactions(body.get("reactions"))
    if body.get("reward") is None and not reactions:
        v.fail("reward", f"is required (one of {', '.join(REWARD_KINDS)}) unless the rule has reactions")
    description = body.get("description")
    active_from = _optional_time(body, "active_from")
    active_until = _optional_time(body, "active_until")
    if active_from is not None and active_until is not None and active_until <= active_from:
        until, start = v.show(body["active_until"]), v.show(body["active_from"])
        v.fail("active_until", f"{until} must be after active_from {start}")
    priority = v.integer(body.get("priority", 0), "priority")
    if abs(priority) > _MAX_PRIORITY:
        v.fail("priority", f"{priority} must be between -{_MAX_PRIORITY} and {_MAX_PRIORITY}")
    conditions = body.get("conditions")
    return RuleDefinition(
        name=v.string(body["name"], "name", max_len=200).strip(),
        description=None
        if description is None
        else v.string(description, "description", allow_empty=True, max_len=2000),
        status=v.choice(body.get("status", "draft"), "status", STATUSES),
        priority=priority,
        stop=v.boolean(body.get("stop", False), "stop"),
        source=_parse_source(body.get("source")),
        active_from=active_from,
        active_until=active_until,
        conditions=None if conditions is None else parse_conditions(conditions),
        reward=None if body.get("reward") is None else parse_reward(body["reward"]),
        limits=parse_limits(body.get("limits")),
        reactions=reactions,
    )


def _optional_time(body: Mapping[str, Any], key: str) -> datetime | None:
    return None if body.get(key) is None else v.timestamp(body[key], key)


def _parse_source(data: Any) -> Source:
    if data is None:
        return Source()
    v.obj(data, "source", SOURCE_KINDS)
    kind = v.one_of_keys(data, "source", SOURCE_KINDS)
    if kind == "any":
        if data["any"] is not True:
            v.fail("source.any", f"{v.show(data['any'])} must be true (or pick connector or event_type)")
        return Source()
    value = v.string(data[kind], f"source.{kind}", max_len=200)
    return Source("connector" if kind == "connector" else "event_type", value)


def rule_definition_to_json(defn: RuleDefinition) -> dict[str, Any]:
    source: dict[str, Any] = {defn.source.kind: defn.source.value}
    if defn.source.kind == "any":
        source = {"any": True}
    return {
        "name": defn.name,
        "description": defn.description,
        "status": defn.status,
        "priority": defn.priority,
        "stop": defn.stop,
        "source": source,
        "active_from": None if defn.active_from is None else v.timestamp_to_json(defn.active_from),
        "active_until": None if defn.active_until is None else v.timestamp_to_json(defn.active_until),
        "conditions": None if defn.conditions is None else conditions_to_json(defn.conditions),
        "reward": None if defn.reward is None else reward_to_json(defn.reward),
        "limits": [limit_to_json(limit) for limit in defn.limits],
        "reactions": reactions_to_json(defn.reactions),
    }
