"""Evaluate the rules for one event: pure, deterministic, and fully traced.

Order: higher `priority` first; ties by rule id (then version), so the order never depends on
how the rules were loaded. Each rule is judged as of the event's own timestamp: a backdated
event is judged by the windows and limits of when it happened. A rule with `stop` that awards
ends the evaluation; the rules after it are traced as `skipped_after_stop`. Only the rules whose
source takes the event are judged (the others are counted); per rule: status, active window,
conditions, reward, limits; the first that fails is the rule's outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from earning_rules import validate as v
from earning_rules.conditions import check
from earning_rules.event import Facts, RuleEvent
from earning_rules.limits import Usage, apply_limits
from earning_rules.model import Rule, Source
from earning_rules.reactions import Reaction, reactions_to_json
from earning_rules.rewards import RewardResult, compute

OUTCOMES = (
    "awarded",
    "capped",
    "not_matched",
    "inactive",
    "wrong_source",
    "limit_reached",
    "zero_points",
    "skipped_after_stop",
)


@dataclass(frozen=True)
class Award:
    rule_id: str
    rule_version: int
    rule_name: str
    points: int
    # one per limit maximum checked: {key, limit, remaining_before, consumed}
    limits: list[dict[str, Any]] = field(default_factory=list)
    reactions: tuple[Reaction, ...] = ()  # what the rule does besides points (earning_rules.reactions)


@dataclass(frozen=True)
class Evaluation:
    awards: list[Award]
    trace: list[dict[str, Any]]  # one JSON-safe entry per rule that listens to the event's source
    elsewhere: int = 0  # rules left out of the trace: they listen to other connectors or types

    @property
    def points(self) -> int:
        return sum(a.points for a in self.awards)

    def trace_step(self) -> dict[str, Any]:
        """The event trace's `rules` step: the rules that listen, and how many others there are."""
        return {"step": "rules", "rules": list(self.trace), "otherSources": self.elsewhere}


def order(rules: Sequence[Rule]) -> list[Rule]:
    key = tuple(map(id, rules))
    ordered = _ordered.get(key)
    if ordered is None:
        ordered = sorted(rules, key=lambda r: (-r.definition.priority, r.id, r.version))
        if len(_ordered) > 256:
            _ordered.clear()
        _ordered[key] = ordered
    return list(ordered)


# The same rules, in evaluation order: sorted once, not once per event (the pipeline passes the
# same parsed Rule objects while the configuration holds). Keyed by the objects' ids, which
# cannot be reused while the cached list keeps the objects alive.
_ordered: dict[tuple[int, ...], list[Rule]] = {}


def listening(rules: Sequence[Rule], connector_id: str, event_type: str) -> list[Rule]:
    """The rules, in evaluation order, whose source takes events of this connector and type:
    indexed once per source, so 100 rules for other sources cost an event nothing."""
    key = (tuple(map(id, rules)), connector_id, event_type)
    found = _listening.get(key)
    if found is None:
        found = [r for r in order(rules) if r.definition.source.accepts(connector_id, event_type)]
        if len(_listening) > 1024:
            _listening.clear()
        _listening[key] = found
    return found


_listening: dict[tuple[tuple[int, ...], str, str], list[Rule]] = {}


def evaluate(
    rules: Sequence[Rule],
    event: RuleEvent,
    usage: Mapping[tuple[str, str], Usage],
    tz: ZoneInfo,
    *,
    include_statuses: frozenset[str] = frozenset({"active"}),
    every_source: bool = False,
) -> Evaluation:
    """`every_source`: judge (and trace, as `wrong_source`) the rules of other sources too, as a
    rule's preview does; otherwise they are only counted."""
    facts = event.facts
    awards: list[Award] = []
    trace: list[dict[str, Any]] = []
    stopped_by: str | None = None
    earlier_points = 0
    judged = order(rules) if every_source else listening(rules, event.connector_id, event.event_type)
    for rule in judged:
        entry: dict[str, Any] = {
            "ruleId": rule.id,
            "ruleVersion": rule.version,
            "name": rule.definition.name,
            "priority": rule.definition.priority,
            "outcome": None,  # set below; first so a person reading the trace sees it early
            "points": 0,
        }
        trace.append(entry)
        if stopped_by is not None:
            entry.update(outcome="skipped_after_stop", reason=f"rule {stopped_by} awarded and has stop")
            continue
        award = _judge(rule, event, facts, usage, tz, include_statuses, earlier_points, entry)
        if award is not None:
            awards.append(award)
            earlier_points += award.points
            if rule.definition.stop:
                stopped_by = rule.id
                entry["stopped"] = True
    return Evaluation(awards, trace, len(rules) - len(judged))


def _judge(
    rule: Rule,
    event: RuleEvent,
    facts: Facts,
    usage: Mapping[tuple[str, str], Usage],
    tz: ZoneInfo,
    include_statuses: frozenset[str],
    earlier_points: int,
    entry: dict[str, Any],
) -> Award | None:
    """Fill the rule's trace `entry`; return its award, if any."""
    defn = rule.definition
    refusal = _refusal(rule, event, facts, include_statuses)
    if refusal is not None:
        entry.update(refusal)
        return None
    if defn.reward is None:
        result = RewardResult(0, "no points: the rule reacts only")
    else:
        result = compute(defn.reward, facts, earlier_points)
    if result.missing is not None:
        entry.update(outcome="not_matched", condition="reward", reason=result.missing)
        return None
    entry["reward"] = result.detail
    if result.points == 0 and not defn.reactions:
        entry.update(outcome="zero_points", reason="the reward comes to 0 points")
        return None
    if not defn.limits:  # most rules: awarded as computed
        entry["outcome"], entry["points"] = "awarded", result.points
        if defn.reactions:
            entry["reactions"] = reactions_to_json(defn.reactions)
        return Award(rule.id, rule.version, defn.name, result.points, [], defn.reactions)
    checked = apply_limits(rule.id, defn.limits, result.points, usage, event.timestamp, tz)
    if checked.entries:
        entry["limits"] = checked.entries
    if checked.outcome == "limit_reached":
        entry.update(outcome="limit_reached", reason=checked.reason)
        return None
    entry.update(outcome="capped" if checked.outcome == "capped" else "awarded", points=checked.points)
    if checked.reason is not None:
        entry["reason"] = checked.reason
    award_keys = ("key", "limit", "remaining_before", "consumed")
    limits = [{k: e[k] for k in award_keys} for e in checked.entries]
    if defn.reactions:
        entry["reactions"] = reactions_to_json(defn.reactions)
    return Award(rule.id, rule.version, defn.name, checked.points, limits, defn.reactions)


def _refusal(
    rule: Rule, event: RuleEvent, facts: Facts, include_statuses: frozenset[str], *, conditions: bool = True
) -> dict[str, Any] | None:
    """Why the rule does not apply to the event before any points are computed, or None. A rule
    with limits is asked twice per event (`rules_needing_usage`, then `evaluate`): kept."""
    if not rule.definition.limits:
        return _first_refusal(rule, event, facts, include_statuses, conditions)
    key = (rule.id, rule.version, include_statuses, conditions)
    if key not in event.verdicts:
        event.verdicts[key] = _first_refusal(rule, event, facts, include_statuses, conditions)
    verdict: dict[str, Any] | None = event.verdicts[key]
    return verdict


def _first_refusal(
    rule: Rule, event: RuleEvent, facts: Facts, include_statuses: frozenset[str], conditions: bool
) -> dict[str, Any] | None:
    defn = rule.definition
    if defn.status not in include_statuses:
        return {"outcome": "inactive", "inactive": "status", "reason": f"status is {defn.status}"}
    # The source before the window: a rule that can never apply to this connector says so
    # (`wrong_source`), rather than that its campaign is over (`inactive`).
    if not defn.source.accepts(event.connector_id, event.event_type):
        return {"outcome": "wrong_source", "reason": _source_reason(defn.source, event)}
    if defn.active_from is not None or defn.active_until is not None:
        window = _outside_window(defn.active_from, defn.active_until, event.timestamp)
        if window is not None:
            return {"outcome": "inactive", "inactive": window[0], "reason": window[1]}
    if conditions and defn.conditions is not None:
        failure = check(defn.conditions, facts)
        if failure is not None:
            return {"outcome": "not_matched", "condition": failure[0], "reason": failure[1]}
    return None


def rules_needing_usage(
    rules: Sequence[Rule],
    event: RuleEvent,
    *,
    include_statuses: frozenset[str] = frozenset({"active"}),
    conditions: bool = True,
) -> list[Rule]:
    """The rules with limits that pass status, source, window and conditions for `event`.

    Only their usage can matter to `evaluate`, so the pipeline may count limit windows for
    these alone (`usage` of the others is never read) and save a query per idle rule.
    """
    limited = [rule for rule in rules if rule.definition.limits]
    if not limited:
        return []
    facts = event.facts
    # `conditions=False`: a fact the event only gets later (its `nth`) must not rule a rule out.
    return [
        rule
        for rule in limited
        if _refusal(rule, event, facts, include_statuses, conditions=conditions) is None
    ]


def _outside_window(start: datetime | None, end: datetime | None, at: datetime) -> tuple[str, str] | None:
    happened = f"the event happened at {v.timestamp_to_json(at)}"
    if start is not None and at < start:
        return "active_from", f"{happened}, before active_from {v.timestamp_to_json(start)}"
    if end is not None and at >= end:
        return "active_until", f"{happened}, at or after active_until {v.timestamp_to_json(end)}"
    return None


def _source_reason(source: Source, event: RuleEvent) -> str:
    if source.kind == "connector":
        return f"the rule listens to connector {source.value}; this event came from {event.connector_id}"
    return f"the rule listens to event type {source.value}; this event is {event.event_type}"
