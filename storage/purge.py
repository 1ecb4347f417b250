"""Purge a connector's test data in one transaction; live data is never touched.

Locking (PostgreSQL; SQLite has a single writer and needs none of this):

1. A per-connector advisory lock on the connector's test data. Every transaction that writes
   test data for a connector (test ingestion, test replays, test dry runs: `process_item`)
   takes it shared, before anything else; a purge takes it exclusive. So a purge waits for the
   test events in flight to commit, test events arriving meanwhile wait for the purge, and the
   set of test rows the purge deletes cannot change under it.
2. Then the profiles the purge touches, FOR UPDATE in id order, before any balance or entry.
   Ingestion locks a profile first and its balances after, and a refund locks the profiles it
   needs in id order too, so nobody waits on the purge while holding a lock the purge wants.
   Holding a profile's lock also means no live event can make it live (nor point at it) between
   the purge's "is it still test-only and unused?" check and its delete.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, or_, select, union, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import is_postgres
from storage.events import client_event_ids, events
from storage.ledger import balances, entries
from storage.locks import lock_test_data
from storage.profiles import profiles
from storage.rewards import issued_rewards
from storage.tables import AdminLog, RequestLog

admin_log = AdminLog.__table__  # type: ignore[attr-defined]
requests = RequestLog.__table__  # type: ignore[attr-defined]


async def _lock_profiles(conn: AsyncConnection, connector_id: str) -> list[int]:
    """Every profile the purge may change or delete, locked in id order on PostgreSQL."""
    touched = union(
        select(entries.c.profile_id).where(entries.c.test.is_(True), entries.c.connector_id == connector_id),
        select(events.c.profile_id).where(
            events.c.test.is_(True), events.c.connector_id == connector_id, events.c.profile_id.is_not(None)
        ),
    )
    query = (
        select(profiles.c.id)
        .where(
            or_(
                profiles.c.id.in_(select(touched.subquery())),
                # left behind by an earlier purge that did not yet clean up after other connectors
                and_(profiles.c.test.is_(True), profiles.c.created_by_connector == connector_id),
            )
        )
        .order_by(profiles.c.id)
    )
    if is_postgres(conn):
        query = query.with_for_update(of=profiles)
    return [int(row[0]) for row in await conn.execute(query)]


async def purge_test_data(conn: AsyncConnection, connector_id: str, now: datetime) -> dict[str, Any]:
    """Delete the connector's test requests and events, their points entries, and the profiles
    left unused.

    Balances move back by exactly what the deleted entries added (read from the DELETE itself,
    not from an earlier SELECT), so the test ledger keeps equalling the sum of its entries. A
    test profile goes once nothing references it any more, whichever connector created it.
    """
    await lock_test_data(conn, connector_id, exclusive=True)
    locked = await _lock_profiles(conn, connector_id)

    deleted = await conn.execute(
        delete(entries)
        .where(entries.c.test.is_(True), entries.c.connector_id == connector_id)
        .returning(entries.c.profile_id, entries.c.points)
    )
    moves: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # profile -> [points, positive points]
    entry_count = 0
    for profile_id, points in deleted:
        entry_count += 1
        move = moves[int(profile_id)]
        move[0] += int(points)
        move[1] += max(int(points), 0)
    for profile_id in sorted(moves):
        total, gained = moves[profile_id]
        await conn.execute(
            update(balances)
            .where(balances.c.profile_id == profile_id, balances.c.test.is_(True))
            .values(balance=balances.c.balance - total, lifetime=balances.c.lifetime - gained, updated_at=now)
        )
    await conn.execute(
        delete(client_event_ids).where(
            client_event_ids.c.connector_id == connector_id, client_event_ids.c.test.is_(True)
        )
    )
    event_count = (
        await conn.execute(
            delete(events).where(events.c.connector_id == connector_id, events.c.test.is_(True))
        )
    ).rowcount

    orphan_ids: list[int] = []
    if locked:
        # Re-read under the locks: a live event may have made a profile live since (test=False).
        orphan = and_(
            profiles.c.id.in_(locked),
            profiles.c.test.is_(True),
            ~exists().where(events.c.profile_id == profiles.c.id),
            ~exists().where(entries.c.profile_id == profiles.c.id),
            ~exists().where(issued_rewards.c.profile_id == profiles.c.id),  # a test reward it holds
        )
        orphan_ids = [int(row[0]) for row in await conn.execute(select(profiles.c.id).where(orphan))]
    if orphan_ids:
        await conn.execute(delete(balances).where(balances.c.profile_id.in_(orphan_ids)))
        await conn.execute(delete(profiles).where(profiles.c.id.in_(orphan_ids)))
    # The test requests go too: kept, their counts would point at events that no longer exist.
    request_count = (
        await conn.execute(
            delete(requests).where(requests.c.connector_id == connector_id, requests.c.test.is_(True))
        )
    ).rowcount
    summary = {
        "events": int(event_count or 0),
        "pointsEntries": entry_count,
        "profiles": len(orphan_ids),
        "requests": int(request_count or 0),
    }
    await conn.execute(
        admin_log.insert().values(
            action="purge_test_data", connector_id=connector_id, details=summary, created_at=now
        )
    )
    return summary
