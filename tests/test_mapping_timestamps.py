"""Timestamps in mapped events: ISO 8601 forms, epoch seconds and milliseconds, bad values."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest

from errors import MappingError
from mapping import MappedEvent, check_shape, normalise_timestamp


def stamped(value: Any) -> MappedEvent | MappingError:
    [result] = check_shape({"profile": {"value": "ann@example.com"}, "payload": {"timestamp": value}})
    return result


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20T10:15:00Z", "2026-11-20T10:15:00Z"),
        ("2026-11-20T10:15:00z", "2026-11-20T10:15:00Z"),
        ("2026-11-20T11:15:00+01:00", "2026-11-20T10:15:00Z"),
        ("2026-11-20T05:15:00-0500", "2026-11-20T10:15:00Z"),
        ("2026-11-20T10:15:00.250Z", "2026-11-20T10:15:00.250Z"),
        ("2026-11-20T10:15:00.123456789Z", "2026-11-20T10:15:00.123456Z"),
        ("2026-11-20 10:15:00", "2026-11-20T10:15:00Z"),  # naive: UTC
        ("2026-11-20", "2026-11-20T00:00:00Z"),
        ("20261120T101500Z", "2026-11-20T10:15:00Z"),
        (1795169700, "2026-11-20T10:15:00Z"),  # epoch seconds
        (1795169700.5, "2026-11-20T10:15:00.500Z"),
        (1795169700250, "2026-11-20T10:15:00.250Z"),  # epoch milliseconds
        (0, "1970-01-01T00:00:00Z"),
    ],
)
def test_timestamps_are_normalised_to_utc(value: Any, expected: str) -> None:
    mapped = stamped(value)
    assert isinstance(mapped, MappedEvent) and mapped.timestamp is not None
    assert mapped.timestamp.tzinfo is UTC
    assert mapped.payload_json()["timestamp"] == expected


def test_the_milliseconds_threshold() -> None:
    assert normalise_timestamp(99_999_999_999).year == 5138  # just below 1e11: seconds
    assert normalise_timestamp(100_000_000_000).year == 1973  # 1e11 and above: milliseconds


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("yesterday", '"yesterday"'),
        ("", '""'),
        ("10:15", '"10:15"'),
        (True, "true"),
        ({}, "an object"),
        (1e300, "1e+300"),
    ],
)
def test_bad_timestamps_name_the_value(value: Any, shown: str) -> None:
    error = stamped(value)
    assert isinstance(error, MappingError) and error.code == "mapping_shape_error"
    assert error.path == "payload.timestamp"
    assert error.message == (
        "payload.timestamp: expected an ISO 8601 date-time (e.g. 2026-11-20T10:15:00Z) or epoch "
        f"seconds or milliseconds, got {shown}"
    )


def test_normalise_timestamp_raises_a_shape_error() -> None:
    with pytest.raises(MappingError) as caught:
        normalise_timestamp("nope")
    assert (caught.value.code, caught.value.path) == ("mapping_shape_error", "payload.timestamp")


@pytest.mark.parametrize("value", [-5, -1, -0.5, -1_700_000_000_000])
def test_negative_epochs_are_refused_not_taken_as_1969(value: float) -> None:
    with pytest.raises(MappingError) as caught:
        normalise_timestamp(value)
    assert caught.value.message.startswith(f"payload.timestamp: {value} is a negative epoch time;")
    assert caught.value.path == "payload.timestamp"
    assert normalise_timestamp(0).year == 1970
