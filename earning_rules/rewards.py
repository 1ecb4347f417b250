"""Rewards: how many points a matching event earns, before limits.

JSON shapes (exactly one kind):
    {"fixed": 50}                        (also {"fixed": {"points": 50}})
    {"points_per_unit": {"counter": "amount", "per": 1.00, "points": 1, "rounding": "floor", "cap": 500}}
    {"multiplier": {"factor": 2, "rounding": "floor", "cap": 1000}}   (also {"multiplier": 2})

Arithmetic is Decimal, so 19.99 per 0.01 is exactly 1999. Rounding works on the size of the
number, so a negative reward rounds like its positive twin (floor of -2.5 is -2): a refund rule
takes back exactly what the purchase rule gave. A multiplier adds (factor - 1) times the points
earlier rules already awarded for the same event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from earning_rules import validate as v
from earning_rules.event import Facts, show_decimal

ROUNDINGS = ("floor", "round", "ceil")
REWARD_KINDS = ("fixed", "points_per_unit", "multiplier")
_DECIMAL_ROUNDING = {"floor": ROUND_DOWN, "round": ROUND_HALF_UP, "ceil": ROUND_UP}
# The most points one ledger entry can carry, either sign. `points_entries.points` and the balance
# columns are 32-bit INTEGER on PostgreSQL (most 2,147,483,647), so one entry stays well inside
# that: rules are refused past it (fixed points, a per-unit rate, a cap) and a computed award
# (a wild counter, a multiplier) is clamped to it. Manual adjustments use the same bound.
MAX_POINTS = 10**9
MAX_FACTOR = 1000  # a multiplier beyond ×1000 is a typo, not a campaign


@dataclass(frozen=True)
class FixedPoints:
    points: int


@dataclass(frozen=True)
class PointsPerUnit:
    counter: str
    per: Decimal
    points: Decimal
    rounding: str = "floor"
    cap: int | None = None


@dataclass(frozen=True)
class Multiplier:
    factor: Decimal
    rounding: str = "floor"
    cap: int | None = None


Reward = FixedPoints | PointsPerUnit | Multiplier


class RewardResult(NamedTuple):  # a tuple: built for every rule an event matches
    points: int  # 0 when nothing is earned
    detail: str  # the arithmetic, for the trace
    missing: str | None = None  # the counter the reward needs but the event lacks


# --- parsing ---------------------------------------------------------------------------------


def parse_reward(data: Any, path: str = "reward") -> Reward:
    if not isinstance(data, Mapping):
        v.fail(path, f"{v.show(data)} must be an object with one of {', '.join(REWARD_KINDS)}")
    kind = v.one_of_keys(data, path, REWARD_KINDS)
    v.obj(data, path, (kind,))
    body_path = v.join(path, kind)
    body = data[kind]
    if kind == "fixed":
        # {"fixed": 50} is the usual form; {"fixed": {"points": 50}} reads the same.
        points_path = body_path
        if isinstance(body, Mapping):
            v.obj(body, body_path, ("points",))
            _require(body, body_path, "points")
            body, points_path = body["points"], v.join(body_path, "points")
        points = v.integer(body, points_path)
        v.nonzero_number(points, points_path)
        return FixedPoints(int(_within_max(Decimal(points), points_path)))
    if kind == "points_per_unit":
        v.obj(body, body_path, ("counter", "per", "points", "rounding", "cap"))
        _require(body, body_path, "counter")
        reward = PointsPerUnit(
            counter=v.string(body["counter"], v.join(body_path, "counter"), max_len=200),
            per=v.positive_number(body.get("per", 1), v.join(body_path, "per")),
            points=_within_max(
                v.nonzero_number(body.get("points", 1), v.join(body_path, "points")),
                v.join(body_path, "points"),
            ),
            rounding=_rounding(body, body_path),
            cap=_cap(body, body_path),
        )
        # One unit of the counter may not be worth more than one entry can hold.
        if abs(reward.points) / reward.per > MAX_POINTS:
            v.fail(
                v.join(body_path, "per"),
                f"{v.show(body.get('per', 1))} is too small: one unit of {reward.counter!r} would be "
                f"worth more than {MAX_POINTS} points",
            )
        return reward
    # {"multiplier": 2} is short for {"multiplier": {"factor": 2}}.
    factor_path = body_path
    if isinstance(body, Mapping):
        v.obj(body, body_path, ("factor", "rounding", "cap"))
        _require(body, body_path, "factor")
        factor_path = v.join(body_path, "factor")
    else:
        body = {"factor": body}
    factor = v.number(body["factor"], factor_path)
    if factor <= 1:
        v.fail(factor_path, f"{v.show(body['factor'])} must be greater than 1")
    if factor > MAX_FACTOR:
        v.fail(factor_path, f"{v.show(body['factor'])} must be at most {MAX_FACTOR}")
    return Multiplier(factor=factor, rounding=_rounding(body, body_path), cap=_cap(body, body_path))


def _require(body: Mapping[str, Any], path: str, key: str) -> None:
    if key not in body:
        v.fail(v.join(path, key), "is required")


def _within_max(value: Decimal, path: str) -> Decimal:
    if abs(value) > MAX_POINTS:
        v.fail(path, f"{show_decimal(value)} must be between -{MAX_POINTS} and {MAX_POINTS}")
    return value


def _rounding(body: Mapping[str, Any], path: str) -> str:
    return v.choice(body.get("rounding", "floor"), v.join(path, "rounding"), ROUNDINGS)


def _cap(body: Mapping[str, Any], path: str) -> int | None:
    if body.get("cap") is None:
        return None
    cap = v.integer(body["cap"], v.join(path, "cap"), minimum=1)
    if cap > MAX_POINTS:
        v.fail(v.join(path, "cap"), f"{cap} must be at most {MAX_POINTS}")
    return cap


def reward_to_json(reward: Reward) -> dict[str, Any]:
    if isinstance(reward, FixedPoints):
        return {"fixed": reward.points}
    if isinstance(reward, PointsPerUnit):
        return {
            "points_per_unit": {
                "counter": reward.counter,
                "per": v.decimal_to_json(reward.per),
                "points": v.decimal_to_json(reward.points),
                "rounding": reward.rounding,
                "cap": reward.cap,
            }
        }
    factor = v.decimal_to_json(reward.factor)
    return {"multiplier": {"factor": factor, "rounding": reward.rounding, "cap": reward.cap}}


# --- computing -------------------------------------------------------------------------------


def compute(reward: Reward, facts: Facts, earlier_points: int) -> RewardResult:
    """Points this reward gives for the event; `earlier_points` feeds a multiplier."""
    if isinstance(reward, FixedPoints):
        return _fixed(reward.points)
    if isinstance(reward, PointsPerUnit):
        value = facts.counters.get(reward.counter)
        if value is None:
            return RewardResult(0, "", missing=f"counter {reward.counter} is missing (the reward needs it)")
        # Multiply before dividing so exact inputs stay exact (19.99 × 100 / 1).
        raw = value * reward.points / reward.per
        formula = (
            f"{reward.counter} {show_decimal(value)} ÷ {show_decimal(reward.per)}"
            f" × {show_decimal(reward.points)} = {show_decimal(raw)}"
        )
        return _finish(raw, reward.rounding, reward.cap, formula)
    extra = Decimal(earlier_points) * (reward.factor - 1)
    formula = (
        f"×{show_decimal(reward.factor)} on {earlier_points} points from earlier rules"
        f" = {show_decimal(extra)} extra"
    )
    return _finish(extra, reward.rounding, reward.cap, formula)


@lru_cache(maxsize=1024)  # the same few fixed rewards, in every event's trace
def _fixed(points: int) -> RewardResult:
    return RewardResult(points, f"fixed {points}")


def _finish(raw: Decimal, rounding: str, cap: int | None, formula: str) -> RewardResult:
    if abs(raw) > MAX_POINTS:  # before rounding: quantize fails past Decimal's 28 digits
        raw = Decimal(MAX_POINTS).copy_sign(raw)
    points = int(raw.quantize(Decimal(1), rounding=_DECIMAL_ROUNDING[rounding]))
    detail = f"{formula}, {rounding} → {points}"
    if cap is not None and abs(points) > cap:
        points = cap if points > 0 else -cap
        detail += f", cap {cap} → {points}"
    return RewardResult(points, detail)
