"""The rule's declared shape (api/models/rules.py, what /openapi.json shows) and its reader
(earning_rules, what the API and every stored version go through) say the same thing."""

from __future__ import annotations

import glob
import json
from typing import Any, get_args

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from api.models import rules as declared
from earning_rules import conditions, limits, model, reactions, rewards
from earning_rules.model import parse_rule, rule_definition_to_json
from earning_rules.periods import PERIODS
from errors import InvalidRule
from openapi.components import model_schemas


def _fields(part: type[BaseModel]) -> set[str]:
    return set(part.model_fields)


def _literal(part: type[BaseModel], field: str) -> set[str]:
    annotation = part.model_fields[field].annotation
    found: set[str] = set()
    for arg in (annotation, *get_args(annotation)):
        found |= {a for a in get_args(arg) if isinstance(a, str)}
    return found


def test_every_level_has_the_fields_the_reader_takes() -> None:
    assert _fields(declared.RuleInput) == set(model.FIELDS)
    assert _fields(declared.RuleSource) == set(model.SOURCE_KINDS)
    assert _fields(declared.RuleReward) == set(rewards.REWARD_KINDS)
    assert _fields(declared.RuleLimit) == set(limits._FIELDS)
    assert _fields(declared.RuleReaction) == set(reactions.REACTION_KINDS)
    assert _literal(declared.TagCondition, "op") == set(conditions.TAG_OPS)
    assert _literal(declared.CounterCondition, "op") == set(conditions.COUNTER_OPS)
    assert _literal(declared.PointsPerUnitReward, "rounding") == set(rewards.ROUNDINGS)
    assert _literal(declared.RuleLimit, "period") == set(PERIODS)
    assert _literal(declared.RuleLimit, "scope") == set(limits.SCOPES)
    assert _literal(declared.RuleInput, "status") == set(model.STATUSES)


def _validator(name: str) -> Draft202012Validator:
    document = {"components": {"schemas": model_schemas()}}
    return Draft202012Validator({**model_schemas()[name], **document})


def _example_rules() -> list[dict[str, Any]]:
    found = []
    for path in sorted(glob.glob("examples/*/example.json")):
        with open(path, encoding="utf-8") as file:
            found += json.load(file).get("rules", [])
    return found


@pytest.mark.parametrize("rule", _example_rules(), ids=lambda r: r["name"])
def test_every_example_rule_is_valid_under_both(rule: dict[str, Any]) -> None:
    errors = list(_validator("RuleInput").iter_errors(rule))
    assert not errors, [e.message for e in errors]
    normal = rule_definition_to_json(parse_rule(rule))  # what storage keeps and GET answers
    stored = {
        **normal,
        "id": "rul_x",
        "version": 1,
        "createdAt": "2026-12-07T00:00:00Z",
        "updatedAt": "2026-12-07T00:00:00Z",
    }
    errors = list(_validator("Rule").iter_errors(stored))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize(
    "rule",
    [
        {"name": "x", "reward": {"fixed": {"points": 1}}, "colour": "red"},
        {"name": "x", "reward": {"fixed": {"points": 1, "bonus": 2}}},
        {
            "name": "x",
            "reward": {"fixed": {"points": 1}},
            "conditions": {"tag": "a", "op": "equals", "value": "b"},
        },
        {"name": "x", "reward": {"fixed": {"points": 1}}, "limits": [{"scope": "world", "max_times": 1}]},
        {"name": "x", "reward": {"fixed": {"points": 1}}, "status": "live"},
    ],
)
def test_a_mistake_is_refused_by_both(rule: dict[str, Any]) -> None:
    assert list(_validator("RuleInput").iter_errors(rule))
    with pytest.raises(InvalidRule, match=r"^[a-z_.\[\]0-9]+: "):
        parse_rule(rule)
