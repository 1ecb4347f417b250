"""The limit usage a group reads (storage/group_state.usages): every window counted exactly, in
one statement however many windows a group has.

A window counts a rule's awards (times and points) in [start, end), for one member or the whole
rule, live and test data apart; a correction that withdraws an award gives a time back. Once one
SELECT per window, joined by UNION ALL: on SQLite a group with more than 500 windows (a few
per-member limits over a 500-event group) was refused ("too many terms in compound SELECT") and
written again event by event.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.driver import RawConnection
from storage.group_state import NewProfile, Window, create_profiles, usages
from storage.group_writes import AwardRow, insert_awards
from tests.conftest import BACKENDS, _fresh_database_url

DAY = datetime(2026, 11, 20, tzinfo=UTC)
MEMBERS = 400


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    found, cleanup = _fresh_database_url(request.param, tmp_path)
    yield found
    cleanup()  # type: ignore[operator]


def test_every_window_of_a_big_group_is_counted(url: str) -> None:
    async def scenario() -> tuple[list[Window], list[tuple[int, int]]]:
        raw = RawConnection(url)
        try:
            async with raw.transaction() as tx:
                new = [NewProfile("default", f"m{n}@x.io", False, "con_u", DAY) for n in range(MEMBERS)]
                ids = sorted((await create_profiles(tx, new)).values())
                awards, entry = [], 0
                for n, pid in enumerate(ids):
                    # Member n: n % 3 awards of 10 points by rule_a on DAY, one the day before,
                    # one by rule_b, and a test award by rule_a.
                    times = [DAY + timedelta(hours=h) for h in range(n % 3)] + [DAY - timedelta(hours=1)]
                    for at, rule, test in [(t, "rule_a", False) for t in times] + [
                        (DAY, "rule_b", False),
                        (DAY, "rule_a", True),
                    ]:
                        entry += 1
                        awards.append(AwardRow(entry, pid, 10, rule, 1, entry, "con_u", test, at, DAY))
                await insert_awards(tx, awards)
                # A correction withdraws member 0's award of the day before: a time given back.
                await tx.fetch(
                    "INSERT INTO points_entries (id, profile_id, points, kind, rule_id, reverses_entry_id, "
                    "test, occurred_at, created_at) VALUES (?, ?, -10, 'correction', 'rule_a', 1, ?, ?, ?)",
                    (entry + 1, ids[0], False, tx.ts(DAY - timedelta(hours=1)), tx.ts(DAY)),
                )
            windows = [Window("rule_a", pid, False, DAY, DAY + timedelta(days=1)) for pid in ids]
            windows += [Window("rule_b", pid, False, None, None) for pid in ids[:150]]
            windows += [
                Window("rule_a", None, False, DAY, DAY + timedelta(days=1)),
                Window("rule_a", None, False, None, DAY),  # before DAY: the day-before awards
                Window("rule_a", None, True, None, None),
                Window("rule_a", ids[0], False, None, None),
                Window("rule_c", None, False, None, None),  # a rule that awarded nothing
            ]
            async with raw.transaction() as tx:
                return windows, await usages(tx, windows)
        finally:
            await raw.close()

    windows, counted = asyncio.run(scenario())
    assert len(windows) > 500
    assert len(counted) == len(windows)
    for n in range(MEMBERS):
        assert counted[n] == (n % 3, 10 * (n % 3)), n
    assert counted[MEMBERS : MEMBERS + 150] == [(1, 10)] * 150
    on_day = sum(n % 3 for n in range(MEMBERS))
    # The day before: one award each, member 0's withdrawn (its time back, its 10 points back).
    assert counted[-5:] == [
        (on_day, 10 * on_day),
        (MEMBERS - 1, 10 * MEMBERS - 10),
        (MEMBERS, 10 * MEMBERS),
        (0, 0),  # member 0: n % 3 = 0 awards on DAY, one before it, withdrawn
        (0, 0),
    ]
