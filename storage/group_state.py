"""What the group writer locks and reads before it judges a group: set-based, a statement per group.

Every function takes an open `RawTransaction` and works on the whole group at once. Locks are
taken in the one global order every writer uses (storage/locks.py): test-data locks (shared),
idempotency keys in key order, profiles FOR UPDATE in id order, whole-rule limit locks in rule id
order. SQLite has a single writer (BEGIN IMMEDIATE) and takes none of them. What the group then
writes is in storage/group_writes.py.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from storage.driver import RawTransaction, json_text


@dataclass
class FoundProfile:
    id: int
    test_only: bool


async def lock_profiles(
    tx: RawTransaction, identities: Collection[tuple[str, str]]
) -> dict[tuple[str, str], FoundProfile]:
    """The members with these identities, FOR UPDATE in id order on PostgreSQL, one statement.

    An identity that belongs to another member (`merged_into`: a second identity, a merged
    member) gives that member, and that member's row is the one locked. A merge that committed
    while we waited turns a locked member into an alias: then we look again.
    """
    if not identities:
        return {}
    ordered = sorted(identities)
    for _attempt in range(5):
        if tx.postgres:
            rows = await tx.fetch(
                "SELECT i.kind, i.value, t.id, t.test, t.merged_into FROM profiles p "
                "JOIN unnest(?::text[], ?::text[]) AS i(kind, value) "
                "ON p.kind = i.kind AND p.value = i.value "
                "JOIN profiles t ON t.id = COALESCE(p.merged_into, p.id) "
                "ORDER BY t.id FOR UPDATE OF t",
                ([k for k, _ in ordered], [v for _, v in ordered]),
            )
        else:
            rows = await tx.fetch(
                "SELECT i.kind, i.value, t.id, t.test, t.merged_into FROM profiles p "
                "JOIN (SELECT json_extract(j.value, '$[0]') AS kind, json_extract(j.value, '$[1]') AS value "
                "FROM json_each(?) AS j) AS i ON p.kind = i.kind AND p.value = i.value "
                "JOIN profiles t ON t.id = COALESCE(p.merged_into, p.id) ORDER BY t.id",
                (json_text(ordered),),
            )
        if all(r[4] is None for r in rows):
            return {(r[0], r[1]): FoundProfile(int(r[2]), bool(r[3])) for r in rows}
    raise RuntimeError("members kept being merged while this group looked them up")


async def member_attributes(tx: RawTransaction, profile_ids: Collection[int]) -> dict[int, dict[str, Any]]:
    """The attributes of these (locked) members, for the `member_attributes` enhancer."""
    if not profile_ids:
        return {}
    ids = sorted(profile_ids)
    if tx.postgres:
        rows = await tx.fetch("SELECT id, attributes FROM profiles WHERE id = ANY(?::bigint[])", (ids,))
    else:
        rows = await tx.fetch(
            "SELECT id, attributes FROM profiles WHERE id IN (SELECT value FROM json_each(?))",
            (json_text(ids),),
        )
    out: dict[int, dict[str, Any]] = {}
    for profile_id, attributes in rows:
        value = json.loads(attributes) if isinstance(attributes, (str, bytes)) else attributes
        out[int(profile_id)] = value if isinstance(value, dict) else {}
    return out


async def processed_counts(
    tx: RawTransaction, event_type: str, profile_ids: Collection[int]
) -> dict[int, int]:
    """How many processed events of this type each (locked) member has, for `nth_event`."""
    ids = sorted(profile_ids)
    if tx.postgres:
        rows = await tx.fetch(
            "SELECT profile_id, count(*) FROM events WHERE event_type = ? AND status = 'processed' "
            "AND profile_id = ANY(?::bigint[]) GROUP BY profile_id",
            (event_type, ids),
        )
    else:
        rows = await tx.fetch(
            "SELECT profile_id, count(*) FROM events WHERE event_type = ? AND status = 'processed' "
            "AND profile_id IN (SELECT value FROM json_each(?)) GROUP BY profile_id",
            (event_type, json_text(ids)),
        )
    return {int(r[0]): int(r[1]) for r in rows}


@dataclass(frozen=True)
class NewProfile:
    kind: str
    value: str
    test: bool
    connector_id: str
    created_at: datetime


async def create_profiles(tx: RawTransaction, new: Sequence[NewProfile]) -> dict[tuple[str, str], int]:
    """Insert missing profiles in (kind, value) order; {identity: id} of those this transaction
    created (one a concurrent transaction created first is left out: lock it with `lock_profiles`)."""
    if not new:
        return {}
    ordered = sorted(new, key=lambda p: (p.kind, p.value))
    if tx.postgres:
        rows = await tx.fetch(
            "INSERT INTO profiles (kind, value, test, created_by_connector, created_at) "
            "SELECT * FROM unnest(?::text[], ?::text[], ?::bool[], ?::text[], ?::timestamp[]) "
            "ON CONFLICT (kind, value) DO NOTHING RETURNING id, kind, value",
            (
                [p.kind for p in ordered],
                [p.value for p in ordered],
                [p.test for p in ordered],
                [p.connector_id for p in ordered],
                [tx.ts(p.created_at) for p in ordered],
            ),
        )
        return {(r[1], r[2]): int(r[0]) for r in rows}
    # SQLite: the single writer holds the database, so every missing profile is ours to create.
    await tx.executemany(
        "INSERT INTO profiles (kind, value, test, created_by_connector, created_at) VALUES (?, ?, ?, ?, ?)",
        [(p.kind, p.value, p.test, p.connector_id, tx.ts(p.created_at)) for p in ordered],
    )
    found = await lock_profiles(tx, [(p.kind, p.value) for p in ordered])
    return {identity: profile.id for identity, profile in found.items()}


async def make_live(tx: RawTransaction, profile_ids: Collection[int]) -> None:
    """A live event makes a profile real: purging test data must never delete it."""
    if profile_ids:
        await tx.executemany(
            "UPDATE profiles SET test = ? WHERE id = ?", [(False, p) for p in sorted(profile_ids)]
        )


async def claimed_client_event_ids(
    tx: RawTransaction, connector_id: str, test: bool, client_event_ids: Collection[str]
) -> dict[str, int]:
    """{clientEventId: first event id} for the keys already claimed in this connector's data."""
    if not client_event_ids:
        return {}
    ids = sorted(client_event_ids)
    where = (
        "client_event_id = ANY(?::text[])"
        if tx.postgres
        else "client_event_id IN (SELECT value FROM json_each(?))"
    )
    rows = await tx.fetch(
        "SELECT client_event_id, event_id FROM client_event_ids "
        f"WHERE connector_id = ? AND test = ? AND {where}",
        (connector_id, test, ids if tx.postgres else json_text(ids)),
    )
    return {r[0]: int(r[1]) for r in rows}


async def recent_identical(
    tx: RawTransaction, connector_id: str, test: bool, keys: Collection[str], since: datetime
) -> list[tuple[str, int, datetime]]:
    """(dedupe key, event id, received at) of processed events with these keys received since `since`."""
    if not keys:
        return []
    ids = sorted(keys)
    where = "dedupe_key = ANY(?::text[])" if tx.postgres else "dedupe_key IN (SELECT value FROM json_each(?))"
    rows = await tx.fetch(
        "SELECT dedupe_key, id, received_at FROM events WHERE connector_id = ? AND test = ? "
        f"AND received_at >= ? AND status = 'processed' AND {where} ORDER BY id",
        (connector_id, test, tx.ts(since), ids if tx.postgres else json_text(ids)),
    )
    return [(r[0], int(r[1]), _read_ts(r[2])) for r in rows]


def _read_ts(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


async def balances_of(tx: RawTransaction, keys: Collection[tuple[int, bool]]) -> dict[tuple[int, bool], int]:
    """Balances of (profile, test) pairs; 0 for one without a row yet."""
    if not keys:
        return {}
    ids = sorted({p for p, _ in keys})
    where = (
        "profile_id = ANY(?::bigint[])" if tx.postgres else "profile_id IN (SELECT value FROM json_each(?))"
    )
    rows = await tx.fetch(
        f"SELECT profile_id, test, balance FROM balances WHERE {where}",
        (ids if tx.postgres else json_text(ids),),
    )
    found = {(int(r[0]), bool(r[1])): int(r[2]) for r in rows}
    return {key: found.get(key, 0) for key in keys}


class Window(NamedTuple):  # a tuple: a dict key for every limit of every event of a group
    """Count a rule's awards (all versions) in [start, end), for one profile or the whole rule."""

    rule_id: str
    profile_id: int | None  # None: the whole rule
    test: bool
    start: datetime | None
    end: datetime | None


# Times: an award counts 1, a correction that withdraws an award (it points at it) gives it back.
_TIMES = "CASE WHEN p.kind = 'award' THEN 1 WHEN p.reverses_entry_id IS NOT NULL THEN -1 ELSE 0 END"
_COUNTED = f"COALESCE(SUM({_TIMES}), 0), COALESCE(SUM(p.points), 0)"
_IN_WINDOW = (
    "p.rule_id = w.rule_id AND p.test = w.test AND p.kind IN ('award', 'correction') "
    'AND p.occurred_at >= w.start AND p.occurred_at < w."end"'
)
# A window without a start or an end: these bound every time an entry can hold.
_EARLIEST, _LATEST = datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)

# One statement whatever the group: a member's windows are searched in ix_points_profile_rule_time,
# a whole rule's in ix_points_rule_time. (A UNION ALL of one SELECT per window was a new statement
# for SQLite to compile, and for PostgreSQL to prepare and plan, at every group.)
_SQLITE_USAGES = f"""
WITH w AS (
  SELECT CAST(j.key AS INTEGER) AS i, json_extract(j.value, '$[0]') AS rule_id,
    json_extract(j.value, '$[1]') AS profile_id, json_extract(j.value, '$[2]') AS test,
    json_extract(j.value, '$[3]') AS start, json_extract(j.value, '$[4]') AS "end"
  FROM json_each(?) AS j
)
SELECT w.i, {_COUNTED} FROM w LEFT JOIN points_entries p
  ON p.profile_id = w.profile_id AND {_IN_WINDOW}
  WHERE w.profile_id IS NOT NULL GROUP BY w.i
UNION ALL
SELECT w.i, {_COUNTED} FROM w LEFT JOIN points_entries p
  ON {_IN_WINDOW} WHERE w.profile_id IS NULL GROUP BY w.i
"""
_PG_USAGES = f"""
WITH w AS (
  SELECT rule_id, profile_id, test, start, "end", i - 1 AS i
  FROM unnest(?::text[], ?::bigint[], ?::bool[], ?::timestamp[], ?::timestamp[])
    WITH ORDINALITY AS u(rule_id, profile_id, test, start, "end", i)
)
SELECT w.i, u.* FROM w CROSS JOIN LATERAL (SELECT {_COUNTED} FROM points_entries p
  WHERE p.profile_id = w.profile_id AND {_IN_WINDOW}) AS u
WHERE w.profile_id IS NOT NULL
UNION ALL
SELECT w.i, u.* FROM w CROSS JOIN LATERAL (SELECT {_COUNTED} FROM points_entries p
  WHERE {_IN_WINDOW}) AS u
WHERE w.profile_id IS NULL
"""


async def usages(tx: RawTransaction, windows: Sequence[Window]) -> list[tuple[int, int]]:
    """(times, points) awarded in each window, in one statement for the whole group."""
    if not windows:
        return []
    columns = (
        [w.rule_id for w in windows],
        [w.profile_id for w in windows],
        [w.test for w in windows],
        [tx.ts(w.start or _EARLIEST) for w in windows],
        [tx.ts(w.end or _LATEST) for w in windows],
    )
    if tx.postgres:
        rows = await tx.fetch(_PG_USAGES, columns)
    else:
        rows = await tx.fetch(_SQLITE_USAGES, (json_text(list(zip(*columns, strict=True))),))
    counted = {int(r[0]): (int(r[1]), int(r[2])) for r in rows}
    return [counted[i] for i in range(len(windows))]


async def allocate_ids(tx: RawTransaction, events: int, entries: int) -> tuple[list[int], list[int]]:
    """Fresh ids for `events` events and up to `entries` points entries, in one statement; never
    used before (rows are then inserted with them). Entry ids a group does not use are gaps on
    PostgreSQL and handed out again on SQLite (no row ever held them, no answer ever named them)."""
    if tx.postgres:
        nextval = "ARRAY(SELECT nextval(pg_get_serial_sequence('{0}', 'id')) FROM generate_series(1, ?))"
        rows = await tx.fetch(
            f"SELECT {nextval.format('events')}, {nextval.format('points_entries')}", (events, entries)
        )
        return [int(i) for i in rows[0][0]], [int(i) for i in rows[0][1]]
    # AUTOINCREMENT: sqlite_sequence holds the highest id ever handed out; the single writer
    # holds the database, and inserting explicit ids moves sqlite_sequence past them.
    last = (
        "MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{0}'), 0), "
        "COALESCE((SELECT MAX(id) FROM {0}), 0))"
    )
    rows = await tx.fetch(f"SELECT {last.format('events')}, {last.format('points_entries')}")
    first_event, first_entry = int(rows[0][0]) + 1, int(rows[0][1]) + 1
    return list(range(first_event, first_event + events)), list(range(first_entry, first_entry + entries))
