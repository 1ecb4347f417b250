"""A rule prepared once per rule version, for judging many events with it.

Parsing gives a rule's definition as data (conditions, reward, limits). Judging an event reads
that data again for every event; here it is turned, once, into what judging needs: the trace
entry's fixed fields, and the conditions as one plain test of the event's facts. A condition
that fails is then explained by `conditions.check`, the reader of record, so the trace says
exactly what it always said; the test only spares the explanation to the conditions that hold.
tests/test_rules_compiled.py holds the test to `check` on generated conditions and facts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from earning_rules.conditions import (
    COMPARISONS,
    Condition,
    CounterCondition,
    TagCondition,
    check,
    tag_failure,
)
from earning_rules.event import Facts
from earning_rules.model import Rule, RuleDefinition
from earning_rules.rewards import FixedPoints, PointsPerUnit, Reward, RewardResult, compute

Test = Callable[[Facts], bool]  # the conditions as one test of an event's facts

# Remembered answers per rule version (a condition's refusal, a reward's arithmetic) for the
# facts they read: prices, channels and tiers repeat across events. The oldest goes first.
_MEMO = 512


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    definition: RuleDefinition
    key: tuple[str, int]  # id and version
    limited: bool  # has limits
    head: dict[str, Any]  # the trace entry's first fields, in the order a person reads them
    holds: Test | None  # the conditions as one test; None when the rule has none
    windowed: bool  # has active_from or active_until
    read: Callable[[Facts], Any]  # the facts the conditions read, as a key for `refusals`
    refusals: dict[Any, dict[str, Any]]  # conditions that fail: the trace's words, per facts read
    remember_refusals: bool  # not with a regex: its time limit makes an answer not repeatable
    points: dict[Any, RewardResult]  # the reward's result per counter value (or earlier points)
    fixed: RewardResult | None  # the result of a fixed reward (or of none: the rule only reacts)
    per_counter: str | None  # the counter a per-unit reward reads (None: a multiplier)

    def refusal(self, facts: Facts) -> dict[str, Any] | None:
        """Why the conditions do not hold for `facts` (the words of `conditions.check`), or None."""
        if self.holds is None or self.holds(facts):
            return None
        key = self.read(facts)
        found = self.refusals.get(key)
        if found is None:
            assert self.definition.conditions is not None
            failure = check(self.definition.conditions, facts)
            if failure is None:  # cannot happen (tests/test_rules_compiled.py); `check` has the last word
                return None
            found = {"outcome": "not_matched", "condition": failure[0], "reason": failure[1]}
            if self.remember_refusals:
                _remember(self.refusals, key, found)
        return found

    def reward(self, facts: Facts, earlier_points: int) -> RewardResult:
        """`rewards.compute`, remembered per counter value (a multiplier: per earlier points)."""
        if self.fixed is not None:
            return self.fixed
        key = facts.counters.get(self.per_counter) if self.per_counter is not None else earlier_points
        found = self.points.get(key)
        if found is None:
            assert self.definition.reward is not None
            found = compute(self.definition.reward, facts, earlier_points)
            _remember(self.points, key, found)
        return found


_REACTS_ONLY = RewardResult(0, "no points: the rule reacts only")


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> None:
    if len(memo) >= _MEMO:
        del memo[next(iter(memo))]
    memo[key] = value


def compiled(rule: Rule) -> CompiledRule:
    """The rule, prepared once per rule version. A version never changes once stored, so the
    pipeline's next reading of the configuration finds it prepared, with what it remembered."""
    key = (rule.id, rule.version)
    found = _compiled.get(key)
    if found is None or found.rule is not rule:
        if found is not None and found.definition == rule.definition:
            found = replace(found, rule=rule)  # the same version, read again: keeps its memos
        else:
            found = _compile(rule)
        if len(_compiled) >= _VERSIONS:
            _compiled.clear()
        _compiled[key] = found
    return found


_VERSIONS = 1024  # rule versions kept prepared, forgotten all at once beyond
_compiled: dict[tuple[str, int], CompiledRule] = {}


def _compile(rule: Rule) -> CompiledRule:
    defn = rule.definition
    head = {
        "ruleId": rule.id,
        "ruleVersion": rule.version,
        "name": defn.name,
        "priority": defn.priority,
        "outcome": None,  # set when judged; first so a person reading the trace sees it early
        "points": 0,
    }
    return CompiledRule(
        rule=rule,
        definition=defn,
        key=(rule.id, rule.version),
        limited=bool(defn.limits),
        head=head,
        holds=None if defn.conditions is None else condition_test(defn.conditions),
        windowed=defn.active_from is not None or defn.active_until is not None,
        read=_reader(defn.conditions),
        refusals={},
        remember_refusals=defn.conditions is not None and not _has_regex(defn.conditions),
        points={},
        fixed=_fixed_result(defn.reward),
        per_counter=defn.reward.counter if isinstance(defn.reward, PointsPerUnit) else None,
    )


def _fixed_result(reward: Reward | None) -> RewardResult | None:
    if reward is None:
        return _REACTS_ONLY
    if isinstance(reward, FixedPoints):
        return compute(reward, Facts(), 0)
    return None


def _names(cond: Condition) -> tuple[set[str], set[str]]:
    """The tag names and counter names a condition reads."""
    if isinstance(cond, TagCondition):
        return {cond.tag}, set()
    if isinstance(cond, CounterCondition):
        return set(), {cond.counter}
    tags: set[str] = set()
    counters: set[str] = set()
    for item in cond.items:
        more_tags, more_counters = _names(item)
        tags |= more_tags
        counters |= more_counters
    return tags, counters


def _reader(cond: Condition | None) -> Callable[[Facts], Any]:
    """The values of the facts `cond` reads, as one hashable key."""
    tags, counters = _names(cond) if cond is not None else (set(), set())
    tag_names, counter_names = sorted(tags), sorted(counters)
    if len(tag_names) == 1 and not counter_names:
        (only_tag,) = tag_names
        return lambda facts: facts.tags.get(only_tag)
    if len(counter_names) == 1 and not tag_names:
        (only_counter,) = counter_names
        return lambda facts: facts.counters.get(only_counter)
    return lambda facts: (
        tuple(facts.tags.get(n) for n in tag_names),
        tuple(facts.counters.get(n) for n in counter_names),
    )


def _has_regex(cond: Condition) -> bool:
    if isinstance(cond, TagCondition):
        return cond.op == "regex"
    if isinstance(cond, CounterCondition):
        return False
    return any(_has_regex(item) for item in cond.items)


# --- the conditions as one test --------------------------------------------------------------


def condition_test(cond: Condition) -> Test:
    """True exactly when `conditions.check(cond, facts)` finds nothing failing."""
    if isinstance(cond, TagCondition):
        return _tag_test(cond)
    if isinstance(cond, CounterCondition):
        return _counter_test(cond)
    tests = tuple(condition_test(item) for item in cond.items)
    if cond.mode == "all":
        return lambda facts: all(test(facts) for test in tests)
    return lambda facts: any(test(facts) for test in tests)


def _tag_test(cond: TagCondition) -> Test:
    name, op, expected = cond.tag, cond.op, cond.value
    empty: tuple[str, ...] = ()
    if op == "exists":
        return lambda facts: bool(facts.tags.get(name))
    if op == "missing":
        return lambda facts: not facts.tags.get(name)
    if op in ("eq", "ne"):
        want = op == "eq"
        return lambda facts: (expected in facts.tags.get(name, empty)) is want
    if op in ("in", "not_in"):
        among = frozenset(expected or ())
        want = op == "in"
        return lambda facts: (not among.isdisjoint(facts.tags.get(name, empty))) is want
    if op == "contains" and isinstance(expected, str):
        part = expected
        return lambda facts: any(part in value for value in facts.tags.get(name, empty))
    if op == "starts_with" and isinstance(expected, str):
        start = expected
        return lambda facts: any(value.startswith(start) for value in facts.tags.get(name, empty))
    # regex (time-limited, and a timeout is a failure with its own words): the reader of record
    return lambda facts: tag_failure(cond, facts.tags.get(name, empty)) is None


def _counter_test(cond: CounterCondition) -> Test:
    name, op, expected = cond.counter, cond.op, cond.value
    if op == "missing":
        return lambda facts: facts.counters.get(name) is None
    if op == "exists":
        return lambda facts: facts.counters.get(name) is not None
    if isinstance(expected, tuple):  # between, both ends included
        low, high = expected
        return lambda facts: (actual := facts.counters.get(name)) is not None and low <= actual <= high
    assert expected is not None
    compare, value = COMPARISONS[op], expected
    if op == "ne":  # the exact opposite of eq: a missing counter is not equal to anything
        return lambda facts: (actual := facts.counters.get(name)) is None or compare(actual, value)
    return lambda facts: (actual := facts.counters.get(name)) is not None and compare(actual, value)
