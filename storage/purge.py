"""Purge a connector's test data in one transaction; live data is never touched."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.events import client_event_ids, events
from storage.ledger import balances, entries
from storage.profiles import profiles
from storage.tables import AdminLog

admin_log = AdminLog.__table__  # type: ignore[attr-defined]


async def purge_test_data(conn: AsyncConnection, connector_id: str, now: datetime) -> dict[str, Any]:
    """Delete the connector's test events, their points entries and the profiles only they created.

    Balances are moved back by exactly what the deleted entries added, so the test ledger keeps
    equalling the sum of its entries.
    """
    test_entries = and_(entries.c.test.is_(True), entries.c.connector_id == connector_id)
    per_profile = (
        await conn.execute(
            select(
                entries.c.profile_id,
                func.sum(entries.c.points),
                func.sum(func.abs(entries.c.points) + entries.c.points) / 2,  # the positive part
                func.count(),
            )
            .where(test_entries)
            .group_by(entries.c.profile_id)
        )
    ).all()
    entry_count = 0
    for profile_id, total, gained, count in per_profile:
        entry_count += int(count)
        await conn.execute(
            update(balances)
            .where(balances.c.profile_id == profile_id, balances.c.test.is_(True))
            .values(
                balance=balances.c.balance - int(total),
                lifetime=balances.c.lifetime - int(gained),
                updated_at=now,
            )
        )
    await conn.execute(delete(entries).where(test_entries))
    test_events = select(events.c.id).where(events.c.connector_id == connector_id, events.c.test.is_(True))
    await conn.execute(delete(client_event_ids).where(client_event_ids.c.event_id.in_(test_events)))
    event_count = (
        await conn.execute(
            delete(events).where(events.c.connector_id == connector_id, events.c.test.is_(True))
        )
    ).rowcount
    # A profile created by a test event and used by nothing else goes too.
    orphan = and_(
        profiles.c.test.is_(True),
        profiles.c.created_by_connector == connector_id,
        ~exists().where(events.c.profile_id == profiles.c.id),
        ~exists().where(entries.c.profile_id == profiles.c.id),
    )
    orphan_ids = [row[0] for row in await conn.execute(select(profiles.c.id).where(orphan))]
    if orphan_ids:
        await conn.execute(delete(balances).where(balances.c.profile_id.in_(orphan_ids)))
        await conn.execute(delete(profiles).where(profiles.c.id.in_(orphan_ids)))
    summary = {"events": int(event_count or 0), "pointsEntries": entry_count, "profiles": len(orphan_ids)}
    await conn.execute(
        admin_log.insert().values(
            action="purge_test_data", connector_id=connector_id, details=summary, created_at=now
        )
    )
    return summary
