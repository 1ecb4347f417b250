"""A group's opening: its ids, its locks, and what it reads under them, before any member is created.

Fresh ids for the group's events and entries; the shared test-data locks and the idempotency-key
locks (storage/locks.py's order); the members found by identity, locked FOR UPDATE in id order;
then, under those locks, the keys already claimed and the found members' balances.

On PostgreSQL this is one round trip: the function `inbound_open_group` (migration 0026) runs the
statements in that order, each with a snapshot of its own, so a read sees all that a lock holder
committed before the lock was granted. It used to be four round trips. On SQLite, the single
writer holds the database and the same reads run one after the other, without locks.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from storage import locks
from storage.driver import RawTransaction
from storage.group_state import (
    FoundProfile,
    allocate_ids,
    balances_of,
    claimed_client_event_ids,
    lock_profiles,
)

ClaimKey = tuple[str, bool, str]  # (connector, test, clientEventId)


@dataclass
class Opening:
    event_ids: list[int]
    entry_ids: list[int]
    found: dict[tuple[str, str], FoundProfile]  # identity -> the member it names, locked
    claimed: dict[ClaimKey, int]  # the keys already claimed -> their first event's id
    balances: dict[tuple[int, bool], int]  # (member, test) -> balance, for the found members' rows


async def open_group(
    tx: RawTransaction,
    *,
    events: int,
    entries: int,
    test_connectors: Collection[str],
    keys: Collection[ClaimKey],
    identities: Collection[tuple[str, str]],
) -> Opening:
    if not tx.postgres:
        return await _open_on_sqlite(tx, events, entries, keys, identities)
    ordered_keys = sorted(keys)
    ordered_identities = sorted(identities)
    rows = await tx.fetch(
        "SELECT * FROM inbound_open_group(?::int, ?::int, ?::int, ?::int[], ?::int, ?::int[], "
        "?::text[], ?::text[], ?::text[], ?::bool[], ?::text[])",
        (
            events,
            entries,
            locks.TEST_DATA_LOCK,
            locks.keys_of_test_data(test_connectors),
            locks.CLIENT_EVENT_ID_LOCK,
            locks.keys_of_client_event_ids(keys),
            [k for k, _v in ordered_identities],
            [v for _k, v in ordered_identities],
            [c for c, _t, _i in ordered_keys],
            [t for _c, t, _i in ordered_keys],
            [i for _c, _t, i in ordered_keys],
        ),
    )
    (event_ids, entry_ids, p_kinds, p_values, p_ids, p_tests, p_merged, *rest) = rows[0]
    c_connectors, c_tests, c_ids, c_events, b_profiles, b_tests, b_balances = rest
    claimed = {
        (c, bool(t), i): int(e)
        for c, t, i, e in zip(c_connectors or (), c_tests or (), c_ids or (), c_events or (), strict=True)
    }
    if p_merged and any(p_merged):
        # A merge committed while we waited for a member: the identity now names another member.
        # Look again the slow way, as lock_profiles itself does when that happens.
        found = await lock_profiles(tx, identities)
        balances = await _balances_of_members(tx, [p.id for p in found.values()])
    else:
        found = {
            (k, v): FoundProfile(int(i), bool(t))
            for k, v, i, t in zip(p_kinds or (), p_values or (), p_ids or (), p_tests or (), strict=True)
        }
        balances = {
            (int(p), bool(t)): int(b)
            for p, t, b in zip(b_profiles or (), b_tests or (), b_balances or (), strict=True)
        }
    return Opening([int(i) for i in event_ids], [int(i) for i in entry_ids], found, claimed, balances)


async def _open_on_sqlite(
    tx: RawTransaction,
    events: int,
    entries: int,
    keys: Collection[ClaimKey],
    identities: Collection[tuple[str, str]],
) -> Opening:
    event_ids, entry_ids = await allocate_ids(tx, events, entries)
    found = await lock_profiles(tx, identities)
    claimed: dict[ClaimKey, int] = {}
    wanted: dict[tuple[str, bool], set[str]] = {}
    for connector_id, test, cid in keys:
        wanted.setdefault((connector_id, test), set()).add(cid)
    for (connector_id, test), cids in sorted(wanted.items()):
        for cid, event_id in (await claimed_client_event_ids(tx, connector_id, test, cids)).items():
            claimed[(connector_id, test, cid)] = event_id
    balances = await _balances_of_members(tx, [p.id for p in found.values()])
    return Opening(event_ids, entry_ids, found, claimed, balances)


async def _balances_of_members(
    tx: RawTransaction, profile_ids: Collection[int]
) -> dict[tuple[int, bool], int]:
    """Every balance row of these members (live and test)."""
    ids = set(profile_ids)
    return await balances_of(tx, [(p, t) for p in ids for t in (False, True)])
