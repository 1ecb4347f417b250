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
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from earning_rules import validate as v
from earning_rules.compiled import CompiledRule, compiled
from earning_rules.event import Facts, RuleEvent
from earning_rules.limits import Usage, apply_limits
from earning_rules.model import Rule, Source
from earning_rules.reactions import Reaction, reactions_to_json

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


class Award(NamedTuple):  # a tuple: built for every award (a frozen dataclass costs 2.5–4× as much)
    rule_id: str
    rule_version: int
    rule_name: str
    points: int
    # one per limit maximum checked: {key, limit, remaining_before, consumed}
    limits: list[dict[str, Any]]
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


def order(rules: Sequence[Rule]) -> list[CompiledRule]:
    """The rules in evaluation order, prepared."""
    key = tuple(map(id, rules))
    ordered = _ordered.get(key)
    if ordered is None:
        ordered = [
            compiled(r) for r in sorted(rules, key=lambda r: (-r.definition.priority, r.id, r.version))
        ]
        if len(_ordered) > 256:
            _ordered.clear()
        _ordered[key] = ordered
    return ordered


# The same rules, in evaluation order: sorted once, not once per event (the pipeline passes the
# same parsed Rule objects while the configuration holds). Keyed by the objects' ids, which
# cannot be reused while the cached list keeps the objects alive (through the prepared rules).
_ordered: dict[tuple[int, ...], list[CompiledRule]] = {}


def listening(rules: Sequence[Rule], connector_id: str, event_type: str) -> list[CompiledRule]:
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


_listening: dict[tuple[tuple[int, ...], str, str], list[CompiledRule]] = {}


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
    for prepared in judged:
        entry = prepared.head.copy()
        trace.append(entry)
        if stopped_by is not None:
            entry.update(outcome="skipped_after_stop", reason=f"rule {stopped_by} awarded and has stop")
            continue
        # Chosen by source unless every source is judged; a rule with limits kept its verdict
        # from `rules_needing_usage`.
        if prepared.limited:
            refusal = _refusal(prepared, event, facts, include_statuses)
        else:
            refusal = _first_refusal(prepared, event, facts, include_statuses, True, not every_source)
        if refusal is not None:
            entry.update(refusal)
            continue
        award = _award(prepared, event, facts, usage, tz, earlier_points, entry)
        if award is not None:
            awards.append(award)
            earlier_points += award.points
            if prepared.definition.stop:
                stopped_by = prepared.rule.id
                entry["stopped"] = True
    return Evaluation(awards, trace, len(rules) - len(judged))


def _award(
    prepared: CompiledRule,
    event: RuleEvent,
    facts: Facts,
    usage: Mapping[tuple[str, str], Usage],
    tz: ZoneInfo,
    earlier_points: int,
    entry: dict[str, Any],
) -> Award | None:
    """For a rule that applies to the event: fill its trace `entry`; return its award, if any."""
    rule, defn = prepared.rule, prepared.definition
    result = prepared.reward(facts, earlier_points)
    if result.missing is not None:
        entry.update(outcome="not_matched", condition="reward", reason=result.missing)
        return None
    entry["reward"] = result.detail
    if result.points == 0 and not defn.reactions:
        entry.update(outcome="zero_points", reason="the reward comes to 0 points")
        return None
    if not prepared.limited:  # most rules: awarded as computed
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
    prepared: CompiledRule,
    event: RuleEvent,
    facts: Facts,
    include_statuses: frozenset[str],
    conditions: bool = True,
) -> dict[str, Any] | None:
    """A rule with limits: its verdict before points, asked twice per event
    (`rules_needing_usage`, then `evaluate`) and kept on the event."""
    key = (prepared.key, include_statuses, conditions)
    verdicts = event.verdicts
    if key not in verdicts:
        verdicts[key] = _first_refusal(prepared, event, facts, include_statuses, conditions, False)
    verdict: dict[str, Any] | None = verdicts[key]
    return verdict


def _first_refusal(
    prepared: CompiledRule,
    event: RuleEvent,
    facts: Facts,
    include_statuses: frozenset[str],
    conditions: bool,
    source_known: bool,
) -> dict[str, Any] | None:
    """Why the rule does not apply to the event before any points are computed, or None.
    `source_known`: the rule was chosen for listening to the event's source."""
    defn = prepared.definition
    if defn.status not in include_statuses:
        return {"outcome": "inactive", "inactive": "status", "reason": f"status is {defn.status}"}
    # The source before the window: a rule that can never apply to this connector says so
    # (`wrong_source`), rather than that its campaign is over (`inactive`).
    if not source_known and not defn.source.accepts(event.connector_id, event.event_type):
        return {"outcome": "wrong_source", "reason": _source_reason(defn.source, event)}
    if prepared.windowed:
        window = _outside_window(defn.active_from, defn.active_until, event.timestamp)
        if window is not None:
            return {"outcome": "inactive", "inactive": window[0], "reason": window[1]}
    return prepared.refusal(facts) if conditions else None


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
    limited = _limited(rules)
    if not limited:
        return []
    facts = event.facts
    # `conditions=False`: a fact the event only gets later (its `nth`) must not rule a rule out.
    return [
        prepared.rule
        for prepared in limited
        if _refusal(prepared, event, facts, include_statuses, conditions) is None
    ]


def _limited(rules: Sequence[Rule]) -> list[CompiledRule]:
    """The rules with limits, prepared: found once per list of rules, not once per event."""
    key = tuple(map(id, rules))
    found = _with_limits.get(key)
    if found is None:
        found = [compiled(rule) for rule in rules if rule.definition.limits]
        if len(_with_limits) > 256:
            _with_limits.clear()
        _with_limits[key] = found
    return found


# Keyed as `_ordered`: the ids of Rule objects that the cached lists keep alive (each prepared
# rule holds the very Rule object it was asked for).
_with_limits: dict[tuple[int, ...], list[CompiledRule]] = {}


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
