"""A reward in the catalog as the admin API shows it, and the reasons a member may not have one now
(the API's input is declared in api/models/rewards.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from earning_rules.periods import calendar_bounds

STATUSES = ("active", "paused", "archived")
MAX_STOCK = 1_000_000_000
ISSUED_STATUSES = ("issued", "redeemed", "expired", "cancelled")


def reward_json(row: dict[str, Any]) -> dict[str, Any]:
    limit = None
    if row["limit_max"] is not None:
        limit = {"max": row["limit_max"], "period": row["limit_period"]}
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "imageUrl": row["image_url"],
        "cost": row["cost"],
        "stock": row["stock"],
        "issued": row["issued"],
        "limit": limit,
        "availableFrom": row["available_from"],
        "availableUntil": row["available_until"],
        "validDays": row["valid_days"],
        "status": row["status"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }


@dataclass(frozen=True)
class Refusal:
    code: str  # reward_unavailable | out_of_stock | limit_reached | insufficient_points
    message: str


def limit_window(row: dict[str, Any], at: datetime, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    return calendar_bounds(row["limit_period"] or "ever", at, tz)


def refusal(
    row: dict[str, Any], *, at: datetime, used: int, balance: int | None, member: str
) -> Refusal | None:
    """Why the member may not have this reward now, or None. `balance` None: it is free (a rule)."""
    name = row["name"]
    if row["status"] != "active":
        return Refusal("reward_unavailable", f"reward {name!r} is {row['status']}")
    if row["available_from"] is not None and at < row["available_from"]:
        return Refusal(
            "reward_unavailable", f"reward {name!r} is available from {row['available_from'].isoformat()}"
        )
    if row["available_until"] is not None and at >= row["available_until"]:
        return Refusal(
            "reward_unavailable", f"reward {name!r} was available until {row['available_until'].isoformat()}"
        )
    if row["stock"] is not None and row["stock"] < 1:
        return Refusal("out_of_stock", f"reward {name!r} is out of stock")
    if row["limit_max"] is not None and used >= row["limit_max"]:
        per = "in all" if row["limit_period"] == "ever" else f"per {row['limit_period']}"
        return Refusal(
            "limit_reached",
            f"{member} already has {used} of reward {name!r}, the most one member may have {per}",
        )
    if balance is not None and balance < row["cost"]:
        return Refusal(
            "insufficient_points",
            f"reward {name!r} costs {row['cost']} points; {member} has {balance}",
        )
    return None
