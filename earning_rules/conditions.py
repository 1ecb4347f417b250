"""Conditions on an event's tags and counters, combined with all / any (nesting one level).

JSON shapes:
    {"tag": "channel", "op": "eq", "value": "web"}
    {"counter": "amount", "op": "between", "value": [20, 50]}
    {"all": [cond, {"any": [cond, cond]}]}

`check` returns None when the conditions hold, otherwise the path of the first failing
condition and a sentence naming the ACTUAL value, e.g. `counter amount = 12 is not ≥ 20`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from earning_rules import validate as v
from earning_rules.event import Facts, show_decimal
from earning_rules.patterns import PatternError, PatternTimeout, check_pattern, search

TAG_OPS = ("eq", "ne", "in", "not_in", "contains", "starts_with", "regex", "exists", "missing")
COUNTER_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "between", "exists", "missing")
_NO_VALUE = ("exists", "missing")
_SYMBOL = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
_MAX_LIST = 1000  # `in` lists beyond this belong in a segment, not a rule


@dataclass(frozen=True)
class TagCondition:
    tag: str
    op: str
    value: str | tuple[str, ...] | None = None
    pattern: str | None = field(default=None, compare=False, repr=False)  # a checked regex source


@dataclass(frozen=True)
class CounterCondition:
    counter: str
    op: str
    value: Decimal | tuple[Decimal, Decimal] | None = None


@dataclass(frozen=True)
class Group:
    mode: Literal["all", "any"]
    items: tuple[Condition, ...]


Condition = TagCondition | CounterCondition | Group


# --- parsing ---------------------------------------------------------------------------------


def parse_conditions(data: Any, path: str = "conditions") -> Condition:
    return _parse(data, path, depth=0)


def _parse(data: Any, path: str, depth: int) -> Condition:
    if not isinstance(data, Mapping):
        v.fail(path, f"{v.show(data)} must be an object with one of tag, counter, all, any")
    kind = v.one_of_keys(data, path, ("tag", "counter", "all", "any"))
    if kind == "tag":
        return _parse_tag(data, path)
    if kind == "counter":
        return _parse_counter(data, path)
    if depth >= 2:
        v.fail(path, "groups nest only one level (all of: x, any of: y z); move this group up")
    v.obj(data, path, (kind,))
    items = data[kind]
    item_path = v.join(path, kind)
    if not isinstance(items, list):
        v.fail(item_path, f"{v.show(items)} must be a list of conditions")
    if not items:
        v.fail(item_path, "must hold at least one condition (leave conditions out to match every event)")
    parsed = tuple(_parse(item, v.join(item_path, i), depth + 1) for i, item in enumerate(items))
    return Group("all" if kind == "all" else "any", parsed)


def _parse_tag(data: Mapping[str, Any], path: str) -> TagCondition:
    v.obj(data, path, ("tag", "op", "value"))
    name = v.string(data["tag"], v.join(path, "tag"), max_len=200)
    op = v.choice(data.get("op"), v.join(path, "op"), TAG_OPS)
    value_path = v.join(path, "value")
    if op in _NO_VALUE:
        if "value" in data:
            v.fail(value_path, f"{op} takes no value")
        return TagCondition(name, op)
    if "value" not in data:
        v.fail(value_path, f"is required with {op}")
    raw = data["value"]
    if op in ("in", "not_in"):
        if not isinstance(raw, list) or not raw:
            v.fail(value_path, f"{v.show(raw)} must be a non-empty list of strings")
        if len(raw) > _MAX_LIST:
            v.fail(value_path, f"has {len(raw)} items; the most is {_MAX_LIST}")
        values = tuple(v.string(x, v.join(value_path, i), allow_empty=True) for i, x in enumerate(raw))
        return TagCondition(name, op, values)
    # Tags are text: an empty string can be an exact value but never a useful substring.
    text = v.string(raw, value_path, allow_empty=op in ("eq", "ne"))
    pattern = None
    if op == "regex":
        try:
            check_pattern(text)  # refused when it does not compile, or cannot be bounded
        except PatternError as exc:
            v.fail(value_path, f"{v.show(text)} {exc}")
        pattern = text
    return TagCondition(name, op, text, pattern)


def _parse_counter(data: Mapping[str, Any], path: str) -> CounterCondition:
    v.obj(data, path, ("counter", "op", "value"))
    name = v.string(data["counter"], v.join(path, "counter"), max_len=200)
    op = v.choice(data.get("op"), v.join(path, "op"), COUNTER_OPS)
    value_path = v.join(path, "value")
    if op in _NO_VALUE:
        if "value" in data:
            v.fail(value_path, f"{op} takes no value")
        return CounterCondition(name, op)
    if "value" not in data:
        v.fail(value_path, f"is required with {op}")
    raw = data["value"]
    if op == "between":
        if not isinstance(raw, list) or len(raw) != 2:
            v.fail(value_path, f"{v.show(raw)} must be a list of two numbers [low, high]")
        low, high = (v.number(x, v.join(value_path, i)) for i, x in enumerate(raw))
        if low > high:
            v.fail(value_path, f"{v.show(raw)}: the low end must not be above the high end")
        return CounterCondition(name, op, (low, high))
    return CounterCondition(name, op, v.number(raw, value_path))


def conditions_to_json(cond: Condition) -> dict[str, Any]:
    if isinstance(cond, Group):
        return {cond.mode: [conditions_to_json(item) for item in cond.items]}
    if isinstance(cond, TagCondition):
        out: dict[str, Any] = {"tag": cond.tag, "op": cond.op}
        if cond.value is not None:
            out["value"] = list(cond.value) if isinstance(cond.value, tuple) else cond.value
        return out
    out = {"counter": cond.counter, "op": cond.op}
    if isinstance(cond.value, tuple):
        out["value"] = [v.decimal_to_json(x) for x in cond.value]
    elif cond.value is not None:
        out["value"] = v.decimal_to_json(cond.value)
    return out


# --- evaluation ------------------------------------------------------------------------------


def check(cond: Condition, facts: Facts, path: str = "conditions") -> tuple[str, str] | None:
    """None if `cond` holds; else (path of the failing condition, why, with the actual value)."""
    failure = _failure(cond, facts)
    return None if failure is None else (path + failure[0], failure[1])


def _failure(cond: Condition, facts: Facts) -> tuple[str, str] | None:
    """As `check`, with the path below `cond` (built only for a failure: most conditions hold)."""
    if isinstance(cond, TagCondition):
        reason = tag_failure(cond, facts.tags.get(cond.tag, ()))
        return None if reason is None else ("", reason)
    if isinstance(cond, CounterCondition):
        reason = _check_counter(cond, facts.counters.get(cond.counter))
        return None if reason is None else ("", reason)
    failures = []
    for i, item in enumerate(cond.items):
        failure = _failure(item, facts)
        if cond.mode == "all" and failure is not None:
            return f".all[{i}]{failure[0]}", failure[1]
        if cond.mode == "any":
            if failure is None:
                return None
            failures.append(failure[1])
    if cond.mode == "all":
        return None
    return "", "none of the `any` conditions holds: " + "; ".join(failures)


@lru_cache(maxsize=4096)
def _quote(text: str) -> str:
    # Cached: the same tag values and rule values are quoted in every event's trace.
    return v.show(text)


def _quoted_list(values: tuple[str, ...]) -> str:
    return ", ".join(_quote(x) for x in values)


def _tag_matches(cond: TagCondition, value: str) -> bool:
    op, expected = cond.op, cond.value
    if op in ("eq", "ne"):
        return value == expected
    if op in ("in", "not_in"):
        return value in (expected or ())
    if op == "contains":
        return isinstance(expected, str) and expected in value
    if op == "starts_with":
        return isinstance(expected, str) and value.startswith(expected)
    return cond.pattern is not None and search(cond.pattern, value)  # regex, time-limited


_TAG_VERB = {  # (single value fails, several values all fail)
    "eq": ("is not {x}", "none is {x}"),
    "in": ("is not one of {x}", "none is one of {x}"),
    "contains": ("does not contain {x}", "none contains {x}"),
    "starts_with": ("does not start with {x}", "none starts with {x}"),
    "regex": ("does not match regex {x}", "none matches regex {x}"),
}


def _shown_value(cond: TagCondition) -> str:
    return _quoted_list(cond.value) if isinstance(cond.value, tuple) else _quote(cond.value or "")


def tag_failure(cond: TagCondition, values: tuple[str, ...]) -> str | None:
    name = f"tag {cond.tag}"
    if cond.op == "exists":
        return None if values else f"{name} is missing"
    if cond.op == "missing":
        return None if not values else f"{name} = {_quoted_list(values)} is present, expected missing"
    try:
        hits = [value for value in values if _tag_matches(cond, value)]
    except PatternTimeout as exc:  # the condition cannot be decided: it does not hold, and says why
        return f"{name}: {exc}"
    if cond.op in ("ne", "not_in"):
        # The exact opposite of eq / in: also true when the tag is missing.
        if not hits:
            return None
        expected = _shown_value(cond)
        excluded = "one of " + expected if cond.op == "not_in" else expected
        return f"{name} = {_quote(hits[0])} but must not be {excluded}"
    if hits:
        return None
    if not values:
        return f"{name} is missing"
    expected = _shown_value(cond)
    single, several = _TAG_VERB[cond.op]
    if len(values) == 1:
        return f"{name} = {_quote(values[0])} " + single.format(x=expected)
    return f"{name} has values {_quoted_list(values)}; " + several.format(x=expected)


COMPARISONS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _compare(op: str, actual: Decimal, expected: Decimal) -> bool:
    return COMPARISONS[op](actual, expected)


def _check_counter(cond: CounterCondition, actual: Decimal | None) -> str | None:
    name = f"counter {cond.counter}"
    if cond.op == "missing":
        return None if actual is None else f"{name} = {show_decimal(actual)} is present, expected missing"
    if actual is None:
        # `ne` is the exact opposite of `eq`: a missing counter is not equal to anything.
        return None if cond.op == "ne" else f"{name} is missing"
    if cond.op == "exists":
        return None
    if isinstance(cond.value, tuple):  # between, both ends included
        low, high = cond.value
        if low <= actual <= high:
            return None
        return f"{name} = {show_decimal(actual)} is not between {show_decimal(low)} and {show_decimal(high)}"
    assert cond.value is not None
    if _compare(cond.op, actual, cond.value):
        return None
    return f"{name} = {show_decimal(actual)} is not {_SYMBOL[cond.op]} {show_decimal(cond.value)}"
