"""Every lock Inbound takes, in one place: the advisory-lock key spaces and the member row locks.

SQLite has a single writer and needs none of these; on PostgreSQL every writer takes them in one
global order, so no two writers ever wait on each other in a cycle:

1. a connector's test data, shared (test writes) or exclusive (a purge);
2. idempotency keys (connector, test, clientEventId), in key order;
3. members (profile rows), FOR UPDATE in id order;
4. whole-rule limits, in rule id order.

Advisory locks with two int4 keys live apart from those with one int8 key, so the spaces below
cannot collide: two-key locks name their space in the first key; one-key locks are a rule's
CRC-32 and the migration lock.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Iterable

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import is_postgres
from storage.driver import RawTransaction
from storage.tables import Profile

profiles = Profile.__table__  # type: ignore[attr-defined]

# Two-key spaces (the first key).
TEST_DATA_LOCK = 0x7E57
CLIENT_EVENT_ID_LOCK = 0x1DE5
# One-key: "inbound migrate" as a number. One constant for every Inbound database on the server,
# which at worst makes migrations of unrelated databases take turns.
MIGRATION_LOCK_KEY = 0x1B0B_D001


def _int4(key: int) -> int:
    return key - (1 << 32) if key >= (1 << 31) else key  # a collision only serialises more


def connector_key(connector_id: str) -> int:
    return _int4(zlib.crc32(connector_id.encode()))


def client_event_id_key(connector_id: str, client_event_id: str, test: bool) -> int:
    return _int4(zlib.crc32(f"{connector_id}\0{int(test)}\0{client_event_id}".encode()))


def rule_key(rule_id: str) -> int:
    return zlib.crc32(rule_id.encode())


# --- on SQLAlchemy connections (the per-chunk path, admin writes, purge, migrations) -----------


async def lock_test_data(conn: AsyncConnection, connector_id: str, *, exclusive: bool) -> None:
    """Hold the connector's test data until the transaction ends: shared to write, exclusive to purge."""
    if not is_postgres(conn):
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    await conn.execute(
        text(f"SELECT {function}(:space, :key)"),
        {"space": TEST_DATA_LOCK, "key": connector_key(connector_id)},
    )


async def lock_client_event_ids(
    conn: AsyncConnection, connector_id: str, client_event_ids: Iterable[str], *, test: bool
) -> None:
    """These idempotency keys until the transaction ends, in key order, in one statement."""
    keys = keys_of_client_event_ids((connector_id, test, c) for c in client_event_ids)
    if not keys or not is_postgres(conn):
        return
    await conn.execute(
        text("SELECT pg_advisory_xact_lock(:space, k) FROM unnest(CAST(:keys AS int[])) AS k"),
        {"space": CLIENT_EVENT_ID_LOCK, "keys": keys},
    )


async def lock_profiles(conn: AsyncConnection, profile_ids: Iterable[int]) -> None:
    """These members' rows (profiles), FOR UPDATE in id order, as ingest locks them."""
    ids = sorted(set(profile_ids))
    if ids and is_postgres(conn):
        query = select(profiles.c.id).where(profiles.c.id.in_(ids)).order_by(profiles.c.id).with_for_update()
        await conn.execute(query)


async def lock_rules(conn: AsyncConnection, rule_ids: Collection[str], held: set[str]) -> None:
    """The whole-rule limit locks not yet `held` in this transaction, in rule id order."""
    for rule_id in sorted(set(rule_ids) - held):
        if is_postgres(conn):
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": rule_key(rule_id)})
        held.add(rule_id)


async def lock_migrations(conn: AsyncConnection) -> None:
    if is_postgres(conn):
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


# --- on the group writer's driver transaction ------------------------------------------------
# Test data and idempotency keys are locked by the group's opening (storage/group_opening.py, one
# call on PostgreSQL with the members' row locks); whole-rule limits below, once members are known.


def keys_of_test_data(connector_ids: Collection[str]) -> list[int]:
    """The shared test-data locks of these connectors (in TEST_DATA_LOCK's space), in key order."""
    return sorted({connector_key(c) for c in connector_ids})


def keys_of_client_event_ids(keys: Iterable[tuple[str, bool, str]]) -> list[int]:
    """The locks of idempotency keys given as (connector, test, clientEventId), in key order."""
    return sorted({client_event_id_key(c, cid, test) for c, test, cid in keys})


async def lock_rules_of(tx: RawTransaction, rule_ids: Collection[str]) -> None:
    """Whole-rule limit locks, in rule id order."""
    if not tx.postgres or not rule_ids:
        return
    keys = [rule_key(r) for r in sorted(set(rule_ids))]
    await tx.fetch("SELECT pg_advisory_xact_lock(k) FROM unnest(?::bigint[]) AS k", (keys,))
