"""Times picked in the console's forms are the program's local time, sent to the API with the
offset of that date (summer or winter)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from console.pages.loyalty import picked_time, picker_value

BRUSSELS = ZoneInfo("Europe/Brussels")


def test_a_picked_time_gets_the_offset_of_its_own_date() -> None:
    assert picked_time("2026-07-01T00:00", BRUSSELS) == "2026-07-01T00:00:00+02:00"
    assert picked_time("2026-12-01T00:00", BRUSSELS) == "2026-12-01T00:00:00+01:00"
    assert picked_time("2026-12-01T00:00:00+05:00", BRUSSELS) == "2026-12-01T00:00:00+05:00"  # as typed
    assert picked_time("next tuesday", BRUSSELS) == "next tuesday"  # the API names what is wrong
    assert picked_time("  ", BRUSSELS) is None


def test_an_api_time_shows_in_the_picker_as_local_time() -> None:
    assert picker_value("2026-06-30T22:00:00Z", BRUSSELS) == "2026-07-01T00:00"
    assert picker_value("2026-11-30T23:00:00+00:00", BRUSSELS) == "2026-12-01T00:00"
    assert picker_value(None, BRUSSELS) == ""
    # Seconds set through the API are shown (and so kept when the form is saved again).
    assert picker_value("2026-06-30T22:00:30Z", BRUSSELS) == "2026-07-01T00:00:30"
    assert picked_time("2026-07-01T00:00:30", BRUSSELS) == "2026-07-01T00:00:30+02:00"
