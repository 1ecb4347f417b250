"""Reads that once walked a whole growing table are index searches, on SQLite and PostgreSQL.

Each case runs the real storage function on a migrated database, records the statements it sent,
and asks the database for their plans: none may read the whole of a table that grows with traffic.
Found by explaining every statement the test suite runs:
- a refund read, per award it reverses, what later entries took back: the whole ledger each time
  (~40 ms a refund at 60,000 entries, growing with the ledger);
- the hourly retention pass read the whole request log and events table in write transactions,
  which on SQLite hold ingest; the expiry pass read every issued reward;
- looking up several members by identity, or several raw events by request (the per-chunk path,
  replays), read all members, or all of a connector's events, on SQLite: it reads the whole table
  for a row-value IN list of more than one pair;
- a dry run read every granted badge to find its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from storage import badges, events, group_state, profiles, replays, retention, rewards, stats
from storage.database import Database
from storage.driver import ConnTransaction
from storage.entries import awarded_by_claimed, entries_of_replay, taken_from

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
DAY_AGO = NOW - timedelta(days=1)
# Partial indexes hold only the rows a pass still has to see: reading one whole is the point.
PARTIAL = ("ix_events_parked", "ix_events_raw_time", "ix_issued_rewards_due", "ix_points_reverses_entry")
# (ix_events_dedupe, ix_events_replay_of and ix_events_reverses_event_id are partial too, migration
# 0025, but only ever searched for a value: a whole read of one is a fault, as of any other.)
GROWING = ("events", "points_entries", "requests", "profiles", "member_badges", "issued_rewards")

Read = Callable[[Any], Awaitable[Any]]

CASES: dict[str, Read] = {
    "refund: taken from its awards": lambda c: taken_from(c, [1, 2, 3], test=False),
    "retention: old requests": lambda c: retention.prune_requests(c, NOW),
    "retention: old raw payloads": lambda c: retention.prune_raw(c, NOW),
    "expiry: rewards due": lambda c: rewards.due_to_expire(c, NOW, 10),
    "expiry: rewards due, counted": lambda c: rewards.count_due_to_expire(c, NOW),
    "overview: refused requests": lambda c: stats.refused_requests(c, DAY_AGO, NOW),
    "members by identities": lambda c: profiles.ids_of_identities(c, [("default", "a@x"), ("email", "b@x")]),
    "members by identities, locked": lambda c: profiles.lock_identities(
        c, [("default", "a@x.io"), ("default", "b@x.io")]
    ),
    "members by identities, with a refund's others": lambda c: profiles.lock_identities(
        c,
        [("default", "a@x.io"), ("default", "b@x.io")],
        also=awarded_by_claimed(connector_id="con_x", client_event_ids=["o-1", "o-2"], test=False),
    ),
    "raw events by request": lambda c: events.events_of_raw_events(c, "con_x", [("req_1", 0), ("req_2", 1)]),
    "replay: raw events' statuses": lambda c: replays._current_statuses(c, "con_x", [("r1", 0), ("r2", 1)]),
    "dry run: badges granted": lambda c: badges.granted_for_events(c, [1, 2, 3]),
    "parked sweep: parked events": lambda c: replays.parked_ready(c, limit=10),
    "duplicates: a group's identical events": lambda c: group_state.recent_identical(
        ConnTransaction(c), "con_x", False, {"k1", "k2"}, DAY_AGO
    ),
    "duplicates: the first identical event": lambda c: events.first_identical_processed(
        c, "con_x", "k1", test=False, start=DAY_AGO
    ),
    "refunds: those of an event": lambda c: events.refunds_of(c, 1, other_than=2),
    "replay: the entries a replay wrote": lambda c: entries_of_replay(c, 1, 1),
    "limits: a group's usage": lambda c: group_state.usages(
        ConnTransaction(c),
        [
            group_state.Window("rule_a", 1, False, DAY_AGO, NOW),
            group_state.Window("rule_a", None, False, None, None),
            group_state.Window("rule_b", 2, True, None, NOW),
        ],
    ),
}


def _whole_table_reads(plan: str) -> list[str]:
    """SQLite: a SCAN of a growing table. PostgreSQL: a scan node on one with no index condition
    (with sequential scans off, a walk of a whole index would otherwise pass for a search)."""
    lines = plan.splitlines()
    scans = [ln for ln in lines if ln.startswith("SCAN ") and ln.split()[1] in GROWING]
    found = [ln for ln in scans if not any(f"INDEX {index}" in ln for index in PARTIAL)]
    for number, line in enumerate(lines):
        if "Scan" not in line or " on " not in line or line.split(" on ")[1].split()[0] not in GROWING:
            continue
        if any(f"using {index} " in line for index in PARTIAL):
            continue
        node = [line]
        for more in lines[number + 1 :]:
            if "->" in more:
                break
            node.append(more)
        if not any("Index Cond" in ln or "Recheck Cond" in ln for ln in node):
            found.append(line.strip())
    return found


async def _plans(db: Database, read: Read) -> list[str]:
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with db.engine.connect() as conn:
            await read(conn)
            await conn.rollback()
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    assert sent, "the read sent no statement"
    plans = []
    async with db.engine.connect() as conn:
        if not db.is_sqlite:
            # The tables here are tiny: ask for the plans a large table gets (no whole-table
            # reads, joins that look rows up by index).
            for setting in ("enable_seqscan", "enable_mergejoin", "enable_hashjoin"):
                await conn.exec_driver_sql(f"SET {setting} = off")
        for statement, parameters in sent:
            explain = "EXPLAIN" if not db.is_sqlite else "EXPLAIN QUERY PLAN"
            rows = (await conn.exec_driver_sql(f"{explain} {statement}", parameters)).all()
            plans.append("\n".join(str(row[-1]) for row in rows))
    return plans


# Where a search of another index would still read nearly everything (old events long emptied),
# the index the read must use. Asked of SQLite, whose plans do not depend on the data: PostgreSQL
# picks among usable indexes by the statistics of what the other tests left in these tables.
USES = {
    "refund: taken from its awards": "ix_points_reverses_entry",
    "retention: old raw payloads": "ix_events_raw_time",
    "duplicates: a group's identical events": "ix_events_dedupe",
    "duplicates: the first identical event": "ix_events_dedupe",
    "refunds: those of an event": "ix_events_reverses_event_id",
    "replay: the entries a replay wrote": "ix_events_replay_of",
    "limits: a group's usage": "ix_points_profile_rule_time",
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_the_read_searches_an_index(db: Database, case: str) -> None:
    plans = await _plans(db, CASES[case])
    for plan in plans:
        assert not _whole_table_reads(plan), f"{case} reads a whole table:\n{plan}"
    if case in USES and db.is_sqlite:
        assert any(USES[case] in plan for plan in plans), f"{case} does not use {USES[case]}:\n{plans}"
