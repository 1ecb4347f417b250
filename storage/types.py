"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# Plain JSON on both: PostgreSQL's `json` keeps the text as sent (key order, big numbers),
# which matters for raw events kept for replay.
Json = JSON()


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on both backends; always read back as an aware UTC datetime.

    SQLite keeps no zone, so storing naive UTC everywhere keeps ordering and comparisons the same.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        try:
            return value.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            # Callers convert (and refuse) user input first (api.http.time_param, mapping.timestamps);
            # reaching here is a bug, named as such rather than as an opaque overflow.
            raise ValueError(f"{value.isoformat()} is outside the years 1 to 9999 in UTC") from None

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # pragma: no cover - SQLite returns str only for raw SQL
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)
