"""Event rows and the two duplicate checks: clientEventId (a constraint) and identical-within-a-window."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import insert, is_postgres, pairs_in
from storage.tables import ClientEventId, Event

events = Event.__table__  # type: ignore[attr-defined]
client_event_ids = ClientEventId.__table__  # type: ignore[attr-defined]


@dataclass(slots=True)
class EventRow:
    """An event as it will be written: every column of `events`, filled in as the pipeline decides
    (the request's facts first, then the mapping's, the member's and the outcome)."""

    request_id: str
    connector_id: str
    index: int
    sub_index: int
    raw: Any
    mapping_version: int
    test: bool
    received_at: datetime
    occurred_at: datetime
    event_type: str
    trace: list[dict[str, Any]]
    id: int | None = None  # allocated by the group writer; else by the insert
    status: str | None = None
    reason: str | None = None
    client_event_id: str | None = None
    dedupe_key: str | None = None
    duplicate_of: int | None = None
    profile_id: int | None = None
    mapped: Any = None
    replay_of: int | None = None
    reverses_event_id: int | None = None

    @property
    def written_id(self) -> int:
        """Its id, once allocated (by the group writer) or inserted."""
        assert self.id is not None, "this event row has no id yet"
        return self.id

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> EventRow:
        """A stored row (as read back) as an EventRow."""
        return cls(**{name: stored[name] for name in _EVENT_FIELDS if name in stored})

    def values(self) -> dict[str, Any]:
        """The columns by name (without an id not yet allocated: the insert allocates it)."""
        out = {name: getattr(self, name) for name in _EVENT_FIELDS}
        if self.id is None:
            del out["id"]
        return out


_EVENT_FIELDS = tuple(f.name for f in fields(EventRow))
_insert_event = events.insert().returning(events.c.id)
_update_event = update(events).where(events.c.id == bindparam("event_id_"))
_claims: dict[str, Any] = {}


async def insert_event(conn: AsyncConnection, row: EventRow) -> int:
    # One prebuilt statement executed with the row: SQLAlchemy compiles it once per set of keys.
    result = await conn.execute(_insert_event, row.values())
    return int(result.scalar_one())


async def update_event(conn: AsyncConnection, event_id: int, **values: Any) -> None:
    await conn.execute(_update_event, {"event_id_": event_id, **values})


def _claim_statement(conn: AsyncConnection) -> Any:
    stmt = _claims.get(conn.dialect.name)
    if stmt is None:
        stmt = (
            insert(conn, client_event_ids)
            .on_conflict_do_nothing(index_elements=["connector_id", "test", "client_event_id"])
            .returning(client_event_ids.c.event_id)
        )
        _claims[conn.dialect.name] = stmt
    return stmt


async def claim_client_event_id(
    conn: AsyncConnection, connector_id: str, client_event_id: str, event_id: int, *, test: bool
) -> int | None:
    """Claim the idempotency key for `event_id`. Returns None if claimed, else the first event's id.

    The primary key decides, so two concurrent requests can never both claim it; on PostgreSQL
    the loser's INSERT waits for the winner's commit and then sees its row. Test and live data
    have keys of their own: trying an order id with the test token never blocks the real one.
    """
    params = {
        "connector_id": connector_id,
        "test": test,
        "client_event_id": client_event_id,
        "event_id": event_id,
    }
    if (await conn.execute(_claim_statement(conn), params)).scalar_one_or_none() is not None:
        return None
    first = await first_with_client_event_id(conn, connector_id, client_event_id, test=test)
    assert first is not None
    return first


async def first_with_client_event_id(
    conn: AsyncConnection, connector_id: str, client_event_id: str, *, test: bool
) -> int | None:
    """The event holding this clientEventId in the test or the live data of a connector."""
    first = await conn.execute(
        select(client_event_ids.c.event_id).where(
            client_event_ids.c.connector_id == connector_id,
            client_event_ids.c.test == test,
            client_event_ids.c.client_event_id == client_event_id,
        )
    )
    found = first.scalar_one_or_none()
    return int(found) if found is not None else None


async def processed_count(conn: AsyncConnection, profile_id: int, event_type: str) -> int:
    """How many processed events of this type the (locked) member has, for `nth_event`."""
    query = select(func.count()).where(
        events.c.profile_id == profile_id, events.c.event_type == event_type, events.c.status == "processed"
    )
    return int((await conn.execute(query)).scalar_one())


async def recent_identical(
    conn: AsyncConnection,
    connector_id: str,
    dedupe_key: str,
    now: datetime,
    window_seconds: int,
    *,
    test: bool,
) -> int | None:
    """The id of an identical event (same type, profile, payload) received within the window."""
    if window_seconds <= 0:
        return None
    start = now - timedelta(seconds=window_seconds)
    return await first_identical_processed(conn, connector_id, dedupe_key, test=test, start=start)


async def get_event(conn: AsyncConnection, event_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(select(events).where(events.c.id == event_id))).mappings().first()
    return dict(row) if row else None


async def rows_of_raw_event(
    conn: AsyncConnection, connector_id: str, request_id: str, index: int
) -> list[dict[str, Any]]:
    """Every row one raw event produced (its chains), in id order; locked on PostgreSQL against
    a parallel replay."""
    where = (
        events.c.connector_id == connector_id,
        events.c.request_id == request_id,
        events.c.index == index,
    )
    if is_postgres(conn):
        # Lock first, read after: a statement that waited for a lock does not see rows a parallel
        # replay inserted meanwhile, the next statement does.
        await conn.execute(select(events.c.id).where(*where).with_for_update())
    rows = await conn.execute(select(events).where(*where).order_by(events.c.id))
    return [dict(r) for r in rows.mappings()]


async def first_identical_processed(
    conn: AsyncConnection,
    connector_id: str,
    dedupe_key: str,
    *,
    test: bool,
    start: datetime,
    end: datetime | None = None,
    excluding: Collection[int] = (),
) -> int | None:
    """The first processed event with this dedupe key received in [start, end] (no end: until
    now), not one of `excluding`."""
    query = select(events.c.id).where(
        events.c.connector_id == connector_id,
        events.c.dedupe_key == dedupe_key,
        events.c.test == test,
        events.c.received_at >= start,
        events.c.status == "processed",
    )
    if end is not None:
        query = query.where(events.c.received_at <= end)
    if excluding:
        query = query.where(events.c.id.not_in(list(excluding)))
    found: int | None = (await conn.execute(query.order_by(events.c.id).limit(1))).scalar_one_or_none()
    return found


async def refunds_of(
    conn: AsyncConnection, reversed_event_id: int, *, other_than: int
) -> list[tuple[Any, ...]]:
    """The refunds recorded against an event, in id order: (request id, index, sub-index, mapped)."""
    rows = await conn.execute(
        select(events.c.request_id, events.c.index, events.c.sub_index, events.c.mapped)
        .where(events.c.reverses_event_id == reversed_event_id, events.c.id != other_than)
        .order_by(events.c.id)
    )
    return [tuple(r) for r in rows]


async def events_of_raw_events(
    conn: AsyncConnection, connector_id: str, pairs: Sequence[tuple[str, int]]
) -> list[dict[str, Any]]:
    """The rows of these raw events (request id, index): id, request id, index, member, clientEventId."""
    c = events.c
    # The connector is checked here, not in SQL: with it there SQLite searched all the connector's
    # events (ix_events_connector_time) instead of these requests' (ix_events_request_id).
    query = select(c.id, c.request_id, c.index, c.profile_id, c.client_event_id, c.connector_id).where(
        pairs_in(c.request_id, c.index, pairs)
    )
    rows = [dict(r) for r in (await conn.execute(query)).mappings()]
    return [r for r in rows if r.pop("connector_id") == connector_id]
