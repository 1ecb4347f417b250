"""Earning rules: conditions on an event's tags and counters, a reward, limits. Pure: no DB, no HTTP.

The pipeline parses stored rules with `parse_rule`, asks `limit_windows` what to count, counts
the rule's past awards in those windows, and calls `evaluate`. The rule language is documented
for the people who write rules in docs/earning-rules.md.
"""

from earning_rules.conditions import COUNTER_OPS, TAG_OPS, Condition, CounterCondition, Group, TagCondition
from earning_rules.evaluate import OUTCOMES, Award, Evaluation, evaluate, rules_needing_usage
from earning_rules.event import RuleEvent
from earning_rules.limits import Limit, LimitWindow, Usage, limit_windows
from earning_rules.model import STATUSES, Rule, RuleDefinition, Source, parse_rule, rule_definition_to_json
from earning_rules.periods import PERIODS
from earning_rules.rewards import REWARD_KINDS, ROUNDINGS, FixedPoints, Multiplier, PointsPerUnit, Reward

__all__ = [
    "COUNTER_OPS",
    "OUTCOMES",
    "PERIODS",
    "REWARD_KINDS",
    "ROUNDINGS",
    "STATUSES",
    "TAG_OPS",
    "Award",
    "Condition",
    "CounterCondition",
    "Evaluation",
    "FixedPoints",
    "Group",
    "Limit",
    "LimitWindow",
    "Multiplier",
    "PointsPerUnit",
    "Reward",
    "Rule",
    "RuleDefinition",
    "RuleEvent",
    "Source",
    "TagCondition",
    "Usage",
    "evaluate",
    "limit_windows",
    "parse_rule",
    "rule_definition_to_json",
    "rules_needing_usage",
]
