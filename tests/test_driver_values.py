"""The group writer's driver stores values exactly as SQLAlchemy's column types do, so the two
write paths read each other's rows and compare them in SQL (storage/driver.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from storage.driver import _sqlite_text
from storage.types import UTCDateTime

INSTANTS = [
    datetime(2026, 12, 7, 22, 40, 38, 620636, tzinfo=UTC),
    datetime(2026, 12, 7, 22, 40, 38, tzinfo=UTC),  # no microseconds: still written, as six zeros
    datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))),  # the day before, in UTC
    datetime(5, 1, 1, tzinfo=UTC),  # four digits of year: "0005", as SQLAlchemy writes it
    datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


@pytest.mark.parametrize("instant", INSTANTS, ids=lambda d: d.isoformat())
def test_a_timestamp_is_the_text_sqlalchemy_stores(instant: datetime) -> None:
    dialect = sqlite.dialect()
    column = UTCDateTime()
    write = column.dialect_impl(dialect).bind_processor(dialect)  # what SQLAlchemy writes
    assert write is not None
    stored = write(instant)
    assert _sqlite_text(instant) == stored
