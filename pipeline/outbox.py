"""What the pipeline writes to the outbox: a message per subscribed kind, in the transaction of
the event that caused it, and only for kinds some endpoint subscribes to (no endpoint, no work).

The subscribed kinds are read once per configuration version: endpoints move it when they are
added, removed, enabled, disabled or change their kinds (migration 0016).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from storage import webhooks as store
from storage.database import Database
from storage.driver import ConnTransaction
from storage.events import EventRow
from webhooks.messages import Message, for_event

Subscriptions = frozenset[tuple[str, bool]]  # (kind, test data?)


async def subscriptions(db: Database) -> Subscriptions:
    """As of now: one read of the configuration version (~10 µs on SQLite; on PostgreSQL a round
    trip shared with the requests reading it at the same moment)."""
    version = await db.config_version.current()
    cached = db.webhook_subscriptions
    if cached is not None and cached[0] == version:
        return cached[1]
    async with db.read() as conn:
        found = await store.subscriptions(conn)
    db.webhook_subscriptions = (version, found)  # read after the version: a later change moves it
    return found


def kinds_for(subscribed: Subscriptions, test: bool) -> set[str]:
    return {kind for kind, for_test in subscribed if for_test == test}


def messages_for(
    row: EventRow, result: dict[str, Any], subscribed: Subscriptions, *, at: datetime
) -> list[Message]:
    kinds: Collection[str] = kinds_for(subscribed, row.test)
    return for_event(row, result, kinds, at=at) if kinds else []


async def enqueue_for_event(
    conn: Any, row: EventRow, result: dict[str, Any], subscribed: Subscriptions, *, at: datetime
) -> None:
    """The per-event path (refunds, replays, a group's fallback), on its SQLAlchemy connection."""
    if result.get("status") != "processed":
        return
    outgoing = messages_for(row, result, subscribed, at=at)
    if outgoing:
        await store.enqueue_raw(ConnTransaction(conn), outgoing)
