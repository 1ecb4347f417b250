"""What the group writer writes once a group is judged: every row once, with its final content.

On SQLite one executemany per table; on PostgreSQL the five writes are one statement (data-modifying
CTEs over unnest()ed arrays, in the function inbound_write_group), because round trips, not CPU,
bound a group there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from storage.driver import RawTransaction, json_text, nullable_json
from storage.events import EventRow

EVENT_COLUMNS = (
    "id", "request_id", "connector_id", "index", "sub_index", "client_event_id", "dedupe_key",
    "event_type", "status", "reason", "duplicate_of", "profile_id", "raw", "mapped", "trace",
    "mapping_version", "test", "occurred_at", "received_at",
)  # fmt: skip


def _event_row(tx: RawTransaction, r: EventRow) -> tuple[Any, ...]:
    return (
        r.id, r.request_id, r.connector_id, r.index, r.sub_index, r.client_event_id, r.dedupe_key,
        r.event_type, r.status, r.reason, r.duplicate_of, r.profile_id, json_text(r.raw),
        nullable_json(r.mapped), json_text(r.trace), r.mapping_version, r.test, tx.ts(r.occurred_at),
        tx.ts(r.received_at),
    )  # fmt: skip


async def insert_events(tx: RawTransaction, rows: Sequence[EventRow]) -> None:
    columns = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
    marks = ", ".join("?" for _ in EVENT_COLUMNS)
    await tx.executemany(
        f"INSERT INTO events ({columns}) VALUES ({marks})", [_event_row(tx, r) for r in rows]
    )


async def insert_claims(tx: RawTransaction, claims: Sequence[tuple[str, bool, str, int]]) -> None:
    """(connector, test, clientEventId, event id): the keys this group claims (checked free above)."""
    await tx.executemany(
        "INSERT INTO client_event_ids (connector_id, test, client_event_id, event_id) VALUES (?, ?, ?, ?)",
        claims,
    )


class AwardRow(NamedTuple):
    """One award entry of a group (`points_entries`, kind 'award'), its id allocated up front."""

    id: int
    profile_id: int
    points: int
    rule_id: str
    rule_version: int
    event_id: int
    connector_id: str
    test: bool
    occurred_at: datetime
    created_at: datetime


def _award_row(tx: RawTransaction, r: AwardRow) -> tuple[Any, ...]:
    return (*r[:8], tx.ts(r.occurred_at), tx.ts(r.created_at))


async def insert_awards(tx: RawTransaction, rows: Sequence[AwardRow]) -> None:
    await tx.executemany(
        "INSERT INTO points_entries (id, profile_id, points, kind, rule_id, rule_version, event_id, "
        "connector_id, test, occurred_at, created_at) VALUES (?, ?, ?, 'award', ?, ?, ?, ?, ?, ?, ?)",
        [_award_row(tx, r) for r in rows],
    )


async def move_balances(
    tx: RawTransaction, moves: dict[tuple[int, bool], tuple[int, int]], now: datetime
) -> None:
    """Add (points, positive points) to each (profile, test) balance, creating the row if need be."""
    await tx.executemany(
        "INSERT INTO balances (profile_id, test, balance, lifetime, updated_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (profile_id, test) DO UPDATE SET balance = balances.balance + excluded.balance, "
        "lifetime = balances.lifetime + excluded.lifetime, updated_at = excluded.updated_at",
        [(p, t, points, gained, tx.ts(now)) for (p, t), (points, gained) in sorted(moves.items())],
    )


REQUEST_COLUMNS = (
    "id", "connector_id", "received_at", "method", "status_code", "auth_outcome", "auth_reason",
    "credential_id", "test", "content_type", "body_bytes", "error_code", "error_message", "counts",
    "duration_ms", "headers", "query", "path",
)  # fmt: skip


def _request_row(tx: RawTransaction, r: dict[str, Any]) -> tuple[Any, ...]:
    return (
        r["id"], r["connector_id"], tx.ts(r["received_at"]), r["method"], r["status_code"],
        r["auth_outcome"], r.get("auth_reason"), r.get("credential_id"), bool(r.get("test", False)),
        r.get("content_type"), r.get("body_bytes", 0), r.get("error_code"), r.get("error_message"),
        json_text(r.get("counts") or {}), float(r.get("duration_ms", 0.0)),
        nullable_json(r.get("headers")), nullable_json(r.get("query")), r.get("path"),
    )  # fmt: skip


async def insert_requests(tx: RawTransaction, rows: Sequence[dict[str, Any]]) -> None:
    columns = ", ".join(REQUEST_COLUMNS)
    marks = ", ".join("?" for _ in REQUEST_COLUMNS)
    await tx.executemany(
        f"INSERT INTO requests ({columns}) VALUES ({marks})", [_request_row(tx, r) for r in rows]
    )


# PostgreSQL: the group's five writes as ONE statement of data-modifying CTEs over unnest()ed
# arrays: one round trip instead of five (round trips, not CPU, bound a group there). The statement
# is in the function inbound_write_group (migration 0027), planned once per connection; its
# arguments are each table's columns, in the order the rows below give them.
_PG_TYPES = (
    # events
    "bigint", "text", "text", "int", "int", "text", "text", "text", "text", "text", "bigint",
    "bigint", "json", "json", "json", "int", "bool", "timestamp", "timestamp",
    # client_event_ids
    "text", "bool", "text", "bigint",
    # points_entries (awards)
    "bigint", "bigint", "bigint", "text", "int", "bigint", "text", "bool", "timestamp", "timestamp",
    # balances (moves)
    "bigint", "bool", "bigint", "bigint", "timestamp",
    # requests
    "text", "text", "timestamp", "text", "int", "text", "text", "text", "bool", "text", "int",
    "text", "text", "json", "float8", "json", "json", "text",
)  # fmt: skip
_PG_WRITE = f"SELECT inbound_write_group({', '.join(f'?::{t}[]' for t in _PG_TYPES)})"


async def write_group_rows(
    tx: RawTransaction,
    *,
    events: Sequence[EventRow],
    claims: Sequence[tuple[str, bool, str, int]],
    awards: Sequence[AwardRow],
    moves: dict[tuple[int, bool], tuple[int, int]],
    now: datetime,
    requests: Sequence[dict[str, Any]],
) -> None:
    """Everything a group writes: one statement on PostgreSQL, one executemany each on SQLite."""
    if not tx.postgres:
        await insert_events(tx, events)
        await insert_claims(tx, claims)
        await insert_awards(tx, awards)
        if moves:
            await move_balances(tx, moves, now)
        await insert_requests(tx, requests)
        return
    balance_rows = [(p, t, points, gained, tx.ts(now)) for (p, t), (points, gained) in sorted(moves.items())]
    args: list[Any] = [
        *_columns([_event_row(tx, r) for r in events], len(EVENT_COLUMNS)),
        *_columns(list(claims), 4),
        *_columns([_award_row(tx, r) for r in awards], 10),
        *_columns(balance_rows, 5),
        *_columns([_request_row(tx, r) for r in requests], len(REQUEST_COLUMNS)),
    ]
    await tx.fetch(_PG_WRITE, args)


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows as one list per column (what unnest() takes)."""
    return [[row[i] for row in rows] for i in range(width)]
