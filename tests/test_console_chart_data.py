"""The overview's minute axis: a full day when traffic spans it, cut to where traffic starts when
it does not (down to the last hour at least), so fresh traffic never sits in the last pixel."""

from __future__ import annotations

from typing import Any

from console.pages.overview import MIN_MINUTES, chart_data


def stats(events: list[tuple[str, int]], refused: list[tuple[str, int]] | None = None) -> dict[str, Any]:
    return {
        "since": "2026-12-06T16:30:10Z",
        "until": "2026-12-07T16:30:10Z",
        "eventsPerMinute": [{"connectorId": "con_a", "minute": m, "count": n} for m, n in events],
        "refusedPerMinute": [
            {"errorCode": "invalid_token", "minute": m, "count": n} for m, n in (refused or [])
        ],
        "pointsPerRule": [],
    }


def test_a_day_of_traffic_keeps_the_whole_day() -> None:
    data = chart_data(stats([("2026-12-06T16:31:00Z", 2), ("2026-12-07T16:30:00Z", 1)]))
    assert data["minutes"][0] == "2026-12-06T16:31:00Z" and data["minutes"][-1] == "2026-12-07T16:30:00Z"
    assert len(data["minutes"]) == 24 * 60 and not data["trimmed"]


def test_fresh_traffic_starts_the_axis_where_it_starts() -> None:
    data = chart_data(stats([("2026-12-07T13:05:00Z", 4)], refused=[("2026-12-07T12:10:00Z", 1)]))
    assert data["trimmed"]
    assert data["minutes"][0] == "2026-12-07T12:10:00Z"  # the first refusal comes first
    assert data["events"]["con_a"][data["minutes"].index("2026-12-07T13:05:00Z")] == 4
    assert data["refused"]["invalid_token"][0] == 1
    assert all(
        len(series) == len(data["minutes"])
        for series in (*data["events"].values(), *data["refused"].values())
    )


def test_the_axis_shows_an_hour_at_least() -> None:
    data = chart_data(stats([("2026-12-07T16:29:00Z", 1)]))
    assert len(data["minutes"]) == MIN_MINUTES and data["minutes"][-1] == "2026-12-07T16:30:00Z"
    quiet = chart_data(stats([]))
    assert len(quiet["minutes"]) == MIN_MINUTES
