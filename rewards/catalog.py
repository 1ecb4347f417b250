"""A reward in the catalog, as the admin API takes it (JSON names) and as storage keeps it (columns),
and the reasons a member may not have one now. Errors name the field and the value as sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from earning_rules.periods import PERIODS, calendar_bounds
from earning_rules.rewards import MAX_POINTS
from earning_rules.validate import show
from errors import InvalidInput

FIELDS = (
    "name", "description", "imageUrl", "cost", "stock", "limit", "availableFrom", "availableUntil",
    "validDays", "status",
)  # fmt: skip
STATUSES = ("active", "paused", "archived")
MAX_STOCK = 1_000_000_000
ISSUED_STATUSES = ("issued", "redeemed", "expired", "cancelled")


def _bad(field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{field}: {problem}", code="invalid_reward")


def _whole(value: Any, field: str, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise _bad(field, f"{show(value)} must be a whole number from {minimum} to {maximum}")
    return value


def _time(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if not isinstance(value, str) or parsed is None or parsed.tzinfo is None:
        raise _bad(field, f"{show(value)} must be a time with its offset, e.g. 2026-12-24T00:00:00+01:00")
    return parsed.astimezone(UTC)


def parse_reward(data: Any, *, creating: bool) -> dict[str, Any]:
    """Column values from an admin API body (only the fields given, when not creating)."""
    if not isinstance(data, dict):
        raise _bad("body", 'expected an object such as {"name": "Free coffee", "cost": 500}')
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise _bad(unknown[0], f"unknown field; expected {', '.join(FIELDS)}")
    for required in ("name", "cost") if creating else ():
        if required not in data:
            raise _bad(required, "is required")
    values: dict[str, Any] = {}
    if "name" in data:
        name = data["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 200 or "\x00" in name:
            raise _bad("name", f"{show(name)} must be a non-empty text of at most 200 characters")
        values["name"] = name.strip()
    if "description" in data:
        text = data["description"]
        if text is not None and (not isinstance(text, str) or len(text) > 2000 or "\x00" in text):
            raise _bad("description", f"{show(text)} must be a text of at most 2000 characters, or null")
        values["description"] = text
    if "imageUrl" in data:
        url = data["imageUrl"]
        if url is not None and not (
            isinstance(url, str)
            and len(url) <= 2000
            and "\x00" not in url
            and urlsplit(url).scheme in ("http", "https", "data")
        ):
            raise _bad("imageUrl", f"{show(url)} must be an http(s):// or data: URL, or null")
        values["image_url"] = url
    if "cost" in data:
        values["cost"] = _whole(data["cost"], "cost", minimum=0, maximum=MAX_POINTS)
    if "stock" in data:
        stock = data["stock"]
        values["stock"] = None if stock is None else _whole(stock, "stock", minimum=0, maximum=MAX_STOCK)
    if "limit" in data:
        values.update(_limit(data["limit"]))
    if "availableFrom" in data:
        values["available_from"] = _time(data["availableFrom"], "availableFrom")
    if "availableUntil" in data:
        values["available_until"] = _time(data["availableUntil"], "availableUntil")
    start, end = values.get("available_from"), values.get("available_until")
    if start is not None and end is not None and end <= start:
        raise _bad("availableUntil", f"{show(data['availableUntil'])} must be after availableFrom")
    if "validDays" in data:
        days = data["validDays"]
        values["valid_days"] = None if days is None else _whole(days, "validDays", minimum=1, maximum=36_500)
    if "status" in data:
        if data["status"] not in STATUSES:
            raise _bad("status", f"{show(data['status'])} must be one of {', '.join(STATUSES)}")
        values["status"] = data["status"]
    return values


def _limit(data: Any) -> dict[str, Any]:
    if data is None:
        return {"limit_max": None, "limit_period": None}
    if not isinstance(data, dict) or set(data) - {"max", "period"} or "max" not in data:
        raise _bad(
            "limit", f'{show(data)} must be {{"max": 1, "period": "month"}} (period: {", ".join(PERIODS)})'
        )
    period = data.get("period", "ever")
    if period not in PERIODS:
        raise _bad("limit.period", f"{show(period)} must be one of {', '.join(PERIODS)}")
    return {
        "limit_max": _whole(data["max"], "limit.max", minimum=1, maximum=MAX_STOCK),
        "limit_period": period,
    }


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
