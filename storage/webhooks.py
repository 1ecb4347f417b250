"""Outgoing webhooks in storage: endpoints, the outbox of messages, and delivery attempts.

A message is written in the transaction of what caused it, once per enabled endpoint that
subscribes to its kind and takes its kind of data (test or live): INSERT … SELECT over the
endpoints, so the set of receivers is the one committed at that moment. The delivery worker
claims due messages with a lease (`next_attempt_at` moved past the attempt's end): a process
killed mid-delivery leaves them due again when the lease runs out, and another process (or the
restarted one) sends them again with the same `webhook-id`. PostgreSQL claims with FOR UPDATE
SKIP LOCKED, so the workers of several processes never claim the same message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import is_postgres
from storage.driver import RawTransaction, read_time
from storage.tables import WebhookAttempt, WebhookEndpoint, WebhookMessage

endpoints = WebhookEndpoint.__table__  # type: ignore[attr-defined]
messages = WebhookMessage.__table__  # type: ignore[attr-defined]
attempts = WebhookAttempt.__table__  # type: ignore[attr-defined]


# --- endpoints -------------------------------------------------------------------------------


async def insert_endpoint(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(endpoints).values(**row))


async def get_endpoint(conn: AsyncConnection, endpoint_id: str) -> dict[str, Any] | None:
    found = (await conn.execute(select(endpoints).where(endpoints.c.id == endpoint_id))).mappings().first()
    return None if found is None else dict(found)


async def list_endpoints(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(select(endpoints).order_by(endpoints.c.created_at, endpoints.c.id))
    return [dict(r) for r in rows.mappings()]


async def update_endpoint(conn: AsyncConnection, endpoint_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(endpoints).where(endpoints.c.id == endpoint_id).values(**values))


async def delete_endpoint(conn: AsyncConnection, endpoint_id: str) -> bool:
    await conn.execute(delete(messages).where(messages.c.endpoint_id == endpoint_id))
    done = await conn.execute(delete(endpoints).where(endpoints.c.id == endpoint_id))
    return bool(done.rowcount)


async def subscriptions(conn: AsyncConnection) -> frozenset[tuple[str, bool]]:
    """(kind, test) pairs some enabled endpoint takes: the group writer builds only those."""
    rows = await conn.execute(
        select(endpoints.c.kinds, endpoints.c.test).where(endpoints.c.status == "enabled")
    )
    return frozenset((kind, bool(test)) for kinds, test in rows for kind in kinds or [])


async def message_counts(conn: AsyncConnection, endpoint_id: str | None = None) -> dict[tuple[str, str], int]:
    """(endpoint, status) → messages: of every endpoint, or of one (its page need not count the
    whole outbox)."""
    query = select(messages.c.endpoint_id, messages.c.status, func.count())
    if endpoint_id is not None:
        query = query.where(messages.c.endpoint_id == endpoint_id)
    rows = await conn.execute(query.group_by(messages.c.endpoint_id, messages.c.status))
    return {(e, s): int(n) for e, s, n in rows}


# --- the outbox ------------------------------------------------------------------------------


def _insert_from_endpoints(postgres: bool, where: str) -> str:
    """INSERT one message for each endpoint the WHERE picks (`e`), its values as parameters."""
    # PostgreSQL cannot tell the types of parameters in a SELECT list: they are cast.
    text_, bool_, time_ = ("?", "?", "?")
    if postgres:
        text_, bool_, time_ = "CAST(? AS text)", "CAST(? AS boolean)", "CAST(? AS timestamp)"
    return (
        "INSERT INTO webhook_messages (message_id, endpoint_id, kind, payload, test, status, attempts, "
        "next_attempt_at, created_at) "
        f"SELECT {text_}, e.id, {text_}, {text_}, {bool_}, 'pending', 0, {time_}, {time_} "
        f"FROM webhook_endpoints e WHERE e.status = 'enabled' AND e.test = ? AND {where}"
    )


def _message_values(tx: RawTransaction, m: Any) -> list[Any]:
    at = tx.ts(m.created_at)
    return [m.message_id, m.kind, m.payload, m.test, at, at, m.test]


async def enqueue_raw(tx: RawTransaction, outgoing: Sequence[Any]) -> None:
    """Messages (webhooks.messages.Message) for the enabled endpoints that subscribe to their kind,
    in `tx` (the group writer's, or a SQLAlchemy connection's through ConnTransaction)."""
    if outgoing:
        kinds = "strpos(e.kinds::text, ?) > 0" if tx.postgres else "instr(e.kinds, ?) > 0"
        await tx.executemany(
            _insert_from_endpoints(tx.postgres, kinds),
            [[*_message_values(tx, m), f'"{m.kind}"'] for m in outgoing],
        )


async def enqueue_to_raw(tx: RawTransaction, endpoint_id: str, m: Any) -> bool:
    """A message for one endpoint whatever it subscribes to (a rule's webhook reaction); False
    when there is no such endpoint, or it is disabled or takes the other kind of data."""
    sql = _insert_from_endpoints(tx.postgres, "e.id = ? RETURNING id")
    return bool(await tx.fetch(sql, [*_message_values(tx, m), endpoint_id]))


async def enqueue_for(conn: AsyncConnection, endpoint_id: str, m: Any) -> int:
    """One message to one endpoint (a test send), whatever it subscribes to; its row id."""
    at = m.created_at
    done = await conn.execute(
        insert(messages)
        .values(
            message_id=m.message_id,
            endpoint_id=endpoint_id,
            kind=m.kind,
            payload=m.payload,
            test=m.test,
            status="pending",
            attempts=0,
            next_attempt_at=at,
            created_at=at,
        )
        .returning(messages.c.id)
    )
    return int(done.scalar_one())


# --- delivery --------------------------------------------------------------------------------


async def any_due(conn: AsyncConnection, now: datetime) -> bool:
    """A cheap look before a write transaction: is any message due (of any endpoint)?"""
    found = await conn.execute(
        select(messages.c.id)
        .where(messages.c.status == "pending", messages.c.next_attempt_at <= now)
        .limit(1)
    )
    return found.first() is not None


async def claim_due(
    conn: AsyncConnection, now: datetime, lease_until: datetime, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` due messages of enabled endpoints, leased until `lease_until` (attempts + 1)."""
    due = (
        select(messages.c.id)
        .select_from(messages.join(endpoints, endpoints.c.id == messages.c.endpoint_id))
        .where(
            messages.c.status == "pending", messages.c.next_attempt_at <= now, endpoints.c.status == "enabled"
        )
        .order_by(messages.c.next_attempt_at, messages.c.id)
        .limit(limit)
    )
    if is_postgres(conn):
        due = due.with_for_update(of=messages, skip_locked=True)
    claimed = await conn.execute(
        update(messages)
        .where(messages.c.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=lease_until, attempts=messages.c.attempts + 1)
        .returning(messages.c.id)
    )
    ids = [r[0] for r in claimed]
    if not ids:
        return []
    rows = await conn.execute(
        select(
            messages,
            endpoints.c.url,
            endpoints.c.secret,
            endpoints.c.previous_secret,
            endpoints.c.previous_expires_at,
            endpoints.c.failing_since,
        )
        .select_from(messages.join(endpoints, endpoints.c.id == messages.c.endpoint_id))
        .where(messages.c.id.in_(ids))
        .order_by(messages.c.id)
    )
    return [dict(r) for r in rows.mappings()]


async def record_attempt(
    conn: AsyncConnection,
    message_row_id: int,
    *,
    at: datetime,
    status_code: int | None,
    latency_ms: float,
    excerpt: str | None,
    error: str | None,
) -> None:
    await conn.execute(
        insert(attempts).values(
            message_row_id=message_row_id,
            attempted_at=at,
            status_code=status_code,
            latency_ms=latency_ms,
            response_excerpt=excerpt,
            error=error,
        )
    )


async def settle(conn: AsyncConnection, message_row_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(messages).where(messages.c.id == message_row_id).values(**values))


async def mark_endpoint_healthy(conn: AsyncConnection, endpoint_id: str) -> None:
    await conn.execute(
        update(endpoints)
        .where(endpoints.c.id == endpoint_id, endpoints.c.failing_since.is_not(None))
        .values(failing_since=None)
    )


async def mark_endpoint_failing(conn: AsyncConnection, endpoint_id: str, since: datetime) -> datetime:
    """When its failures began (now, unless they began earlier and nothing succeeded since)."""
    await conn.execute(
        update(endpoints)
        .where(endpoints.c.id == endpoint_id, endpoints.c.failing_since.is_(None))
        .values(failing_since=since)
    )
    found = await conn.execute(select(endpoints.c.failing_since).where(endpoints.c.id == endpoint_id))
    return found.scalar_one_or_none() or since


async def disable_endpoint(conn: AsyncConnection, endpoint_id: str, reason: str, at: datetime) -> None:
    await conn.execute(
        update(endpoints)
        .where(endpoints.c.id == endpoint_id, endpoints.c.status == "enabled")
        .values(status="disabled", disabled_reason=reason, updated_at=at)
    )


# --- reading the log -------------------------------------------------------------------------


def _on_record() -> Any:
    """The number of a message's attempts in the log."""
    return select(func.count()).where(attempts.c.message_row_id == messages.c.id).scalar_subquery()


def _with_recorded() -> Any:
    """Messages with `recorded`, their attempts on record: a claimed message has one attempt more
    (the worker counts it when it takes the message) until the attempt ends."""
    return select(messages, _on_record().label("recorded"))


async def list_messages(
    conn: AsyncConnection, endpoint_id: str, *, status: str | None, limit: int, before: int | None
) -> list[dict[str, Any]]:
    query = _with_recorded().where(messages.c.endpoint_id == endpoint_id)
    if status:
        query = query.where(messages.c.status == status)
    if before:
        query = query.where(messages.c.id < before)
    rows = await conn.execute(query.order_by(messages.c.id.desc()).limit(limit))
    return [dict(r) for r in rows.mappings()]


async def get_message(conn: AsyncConnection, row_id: int) -> dict[str, Any] | None:
    found = (await conn.execute(_with_recorded().where(messages.c.id == row_id))).mappings().first()
    return None if found is None else dict(found)


async def attempts_of(conn: AsyncConnection, row_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(attempts).where(attempts.c.message_row_id == row_id).order_by(attempts.c.id)
    )
    return [dict(r) for r in rows.mappings()]


async def redeliver(conn: AsyncConnection, row_id: int, now: datetime) -> bool:
    """Due again now, with a fresh schedule; the same webhook-id and body."""
    done = await conn.execute(
        update(messages)
        .where(messages.c.id == row_id)
        .values(
            status="pending",
            attempts=0,
            earlier_attempts=_on_record(),
            next_attempt_at=now,
            last_error=None,
        )
    )
    return bool(done.rowcount)


async def pending_for(conn: AsyncConnection, endpoint_id: str) -> int:
    found = await conn.execute(
        select(func.count()).where(
            and_(messages.c.endpoint_id == endpoint_id, messages.c.status == "pending")
        )
    )
    return int(found.scalar_one())


async def backlog(conn: AsyncConnection) -> list[tuple[str, int, datetime | None]]:
    """(endpoint, messages waiting, when the oldest was written) for every endpoint with a backlog.
    Uses the (status, next_attempt_at) index: only pending messages are read."""
    rows = await conn.execute(
        select(messages.c.endpoint_id, func.count(), func.min(messages.c.created_at))
        .where(messages.c.status == "pending")
        .group_by(messages.c.endpoint_id)
    )
    return [(e, int(n), read_time(oldest)) for e, n, oldest in rows]
