"""The audit row of an admin write, stored in the write's own transaction.

api/admin_auth.py opens a slot for each audited request; the request's first write transaction
(`Database.write`) stores the row just before it commits, so no admin write commits without its
audit row. The answer (status, the resource after) is added once it is known; a crash in between
leaves the row with status 0: written, answer not recorded. A write that commits on another
connection (the group writer's) gets its row after the answer instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.admin_keys import audit_table

NOT_ANSWERED = 0  # the status of a row whose answer was never recorded


@dataclass
class AuditSlot:
    build: Callable[[], dict[str, Any]]  # the row as known so far (the request, the resource before)
    id: int | None = None  # the row, once a write transaction stored it


_SLOT: ContextVar[AuditSlot | None] = ContextVar("inbound_audit_slot", default=None)


@contextmanager
def audit_slot(build: Callable[[], dict[str, Any]]) -> Iterator[AuditSlot]:
    slot = AuditSlot(build)
    token = _SLOT.set(slot)
    try:
        yield slot
    finally:
        _SLOT.reset(token)


async def store_pending(conn: AsyncConnection) -> None:
    """In a write transaction, before it commits: the audit row of the request it belongs to."""
    slot = _SLOT.get()
    if slot is None or slot.id is not None:
        return
    row = {**slot.build(), "status": NOT_ANSWERED}
    stored = await conn.execute(audit_table.insert().values(**row).returning(audit_table.c.id))
    slot.id = int(stored.scalar_one())


async def record_answer(conn: AsyncConnection, audit_id: int, status: int, after: Any) -> None:
    t = audit_table
    await conn.execute(update(t).where(t.c.id == audit_id).values(status=status, after=after))
