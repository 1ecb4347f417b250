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
from datetime import datetime
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
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


async def claims_and_balances(
    tx: RawTransaction, keys: Collection[tuple[str, bool, str]], balance_keys: Collection[tuple[int, bool]]
) -> tuple[dict[tuple[str, bool, str], int], dict[tuple[int, bool], int]]:
    """The keys already claimed ((connector, test, clientEventId) -> first event id) and the
    balances of (profile, test) pairs, in one round trip on PostgreSQL."""
    if not tx.postgres:
        claimed: dict[tuple[str, bool, str], int] = {}
        wanted: dict[tuple[str, bool], set[str]] = {}
        for connector_id, test, cid in keys:
            wanted.setdefault((connector_id, test), set()).add(cid)
        for (connector_id, test), cids in sorted(wanted.items()):
            for cid, event_id in (await claimed_client_event_ids(tx, connector_id, test, cids)).items():
                claimed[(connector_id, test, cid)] = event_id
        return claimed, await balances_of(tx, balance_keys)
    ordered = sorted(keys)
    rows = await tx.fetch(
        "SELECT 0, k.connector_id, k.test, k.client_event_id, k.event_id, NULL::bigint "
        "FROM client_event_ids k JOIN unnest(?::text[], ?::bool[], ?::text[]) AS w(c, t, i) "
        "ON k.connector_id = w.c AND k.test = w.t AND k.client_event_id = w.i "
        "UNION ALL SELECT 1, NULL, b.test, NULL, b.profile_id, b.balance FROM balances b "
        "WHERE b.profile_id = ANY(?::bigint[])",
        (
            [c for c, _t, _i in ordered],
            [t for _c, t, _i in ordered],
            [i for _c, _t, i in ordered],
            sorted({p for p, _ in balance_keys}),
        ),
    )
    found_claims = {(r[1], bool(r[2]), r[3]): int(r[4]) for r in rows if r[0] == 0}
    found_balances = {(int(r[4]), bool(r[2])): int(r[5]) for r in rows if r[0] == 1}
    return found_claims, {key: found_balances.get(key, 0) for key in balance_keys}


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
_TIMES = "CASE WHEN kind = 'award' THEN 1 WHEN reverses_entry_id IS NOT NULL THEN -1 ELSE 0 END"


async def usages(tx: RawTransaction, windows: Sequence[Window]) -> list[tuple[int, int]]:
    """(times, points) awarded in each window, in one statement (a UNION ALL of one sum each)."""
    if not windows:
        return []
    parts: list[str] = []
    args: list[Any] = []
    for i, w in enumerate(windows):
        where = ["rule_id = ?", "test = ?", "kind IN ('award', 'correction')"]
        args_w: list[Any] = [w.rule_id, w.test]
        if w.profile_id is not None:
            where.append("profile_id = ?")
            args_w.append(w.profile_id)
        if w.start is not None:
            where.append("occurred_at >= ?")
            args_w.append(tx.ts(w.start))
        if w.end is not None:
            where.append("occurred_at < ?")
            args_w.append(tx.ts(w.end))
        parts.append(
            f"SELECT {i}, COALESCE(SUM({_TIMES}), 0), COALESCE(SUM(points), 0) "
            f"FROM points_entries WHERE {' AND '.join(where)}"
        )
        args.extend(args_w)
    rows = await tx.fetch(" UNION ALL ".join(parts), args)
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
