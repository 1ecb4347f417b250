"""The program's expiry policy: when points earned at a moment expire.

    {"kind": "never"}
    {"kind": "days", "days": 365}              365 × 24 h after the points were earned
    {"kind": "end_of_month", "months": 12}     at the end of the 12th month after the month earned
    {"kind": "end_of_year", "years": 1}        at the end of the year after the year earned

Months and years end at local midnight in the program's time zone (INBOUND_TIMEZONE), so a
month that ends across a daylight-saving change still ends at midnight there. "Earned" is the
event's own time (`occurredAt`), as the rules judge it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

KINDS = ("never", "days", "end_of_month", "end_of_year")
AMOUNTS = {  # kind -> its amount's field, smallest and largest
    "days": ("days", 1, 36_500),
    "end_of_month": ("months", 0, 1_200),
    "end_of_year": ("years", 0, 100),
}


@dataclass(frozen=True)
class Policy:
    kind: str = "never"
    amount: int = 0

    def expires_at(self, earned_at: datetime, tz: tzinfo) -> datetime | None:
        if self.kind == "never":
            return None
        if self.kind == "days":
            return earned_at + timedelta(days=self.amount)
        local = earned_at.astimezone(tz)
        if self.kind == "end_of_month":
            months = local.year * 12 + (local.month - 1) + self.amount + 1  # the month after the last one
            year, month = divmod(months, 12)
            return datetime(year, month + 1, 1, tzinfo=tz).astimezone(UTC)
        return datetime(local.year + self.amount + 1, 1, 1, tzinfo=tz).astimezone(UTC)

    def earned_before(self, now: datetime, tz: tzinfo) -> datetime | None:
        """Points earned before this instant have expired by `now` (None: nothing ever expires).
        The expiry pass looks only at members with points earned before it."""
        if self.kind == "never":
            return None
        if self.kind == "days":
            return now - timedelta(days=self.amount) + timedelta(microseconds=1)
        local = now.astimezone(tz)
        if self.kind == "end_of_month":
            months = local.year * 12 + (local.month - 1) - self.amount
            year, month = divmod(months, 12)
            return datetime(year, month + 1, 1, tzinfo=tz).astimezone(UTC)
        return datetime(local.year - self.amount, 1, 1, tzinfo=tz).astimezone(UTC)

    def to_json(self) -> dict[str, Any]:
        if self.kind == "never":
            return {"kind": "never"}
        return {"kind": self.kind, AMOUNTS[self.kind][0]: self.amount}

    def describe(self) -> str:
        if self.kind == "never":
            return "points never expire"
        if self.kind == "days":
            return f"points expire {self.amount} days after they were earned"
        unit = "month" if self.kind == "end_of_month" else "year"
        if self.amount == 0:
            return f"points expire at the end of the {unit} they were earned in"
        nth = _ordinal(self.amount)
        return f"points expire at the end of the {nth} {unit} after the {unit} they were earned in"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def policy_from_stored(stored: Any) -> Policy:
    """The policy as set through the API (checked then: api/models/points.py)."""
    if not stored or stored.get("kind") not in AMOUNTS:
        return Policy()
    return Policy(stored["kind"], int(stored[AMOUNTS[stored["kind"]][0]]))
