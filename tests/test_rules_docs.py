"""docs/earning-rules.md keeps up with the rule language: every name a marketer can write."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from earning_rules import (
    COUNTER_OPS,
    OUTCOMES,
    PERIODS,
    REWARD_KINDS,
    ROUNDINGS,
    STATUSES,
    TAG_OPS,
    Rule,
    RuleEvent,
    evaluate,
    parse_rule,
)
from earning_rules.limits import SCOPES, WHEN_EXCEEDED
from earning_rules.model import FIELDS, SOURCE_KINDS

DOC = Path(__file__).parent.parent / "docs" / "earning-rules.md"


def test_the_page_starts_with_a_title() -> None:
    assert DOC.read_text().startswith("# ")


def test_every_rule_word_is_documented() -> None:
    text = DOC.read_text()
    names = [
        *FIELDS,
        *SOURCE_KINDS,
        *STATUSES,
        *TAG_OPS,
        *COUNTER_OPS,
        *REWARD_KINDS,
        *ROUNDINGS,
        *PERIODS,
        *SCOPES,
        *WHEN_EXCEEDED,
        *OUTCOMES,
        "rolling_hours",
        "rolling_days",
        "max_times",
        "max_points",
        "when_exceeded",
        "per",
        "points",
        "counter",
        "factor",
        "cap",
    ]
    missing = sorted({name for name in names if f"`{name}`" not in text})
    assert not missing, f"undocumented in docs/earning-rules.md: {missing}"


def doc_rules() -> list[dict[str, Any]]:
    """Every complete rule shown in a JSON block of the page (fragments are skipped)."""
    found: list[dict[str, Any]] = []
    for block in re.findall(r"```json\n(.*?)```", DOC.read_text(), flags=re.DOTALL):
        try:
            data = json.loads(block)
        except json.JSONDecodeError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and "name" in item:
                found.append(item)
    return found


def test_every_rule_in_the_page_is_valid() -> None:
    rules = doc_rules()
    assert len(rules) >= 8
    for body in rules:
        parse_rule(body)


def test_the_documented_tiered_spend_earns_what_the_page_says() -> None:
    tiers = [
        Rule(f"rule_{i}", 1, parse_rule(body))
        for i, body in enumerate(doc_rules())
        if "Spend" in body["name"]
    ]
    assert len(tiers) == 3
    for amount, points in ((120, 100), (60, 50), (19.99, 0)):
        event = RuleEvent(
            "con", "ecommerce.purchase", datetime(2026, 11, 20, tzinfo=UTC), [], [("amount", amount)]
        )
        assert evaluate(tiers, event, {}, ZoneInfo("UTC")).points == points
