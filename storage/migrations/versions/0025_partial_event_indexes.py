"""the events' mostly-empty columns indexed only where they hold a value

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 23:30:00

`replay_of` is set only on replays, `reverses_event_id` only on refunds, `dedupe_key` only on
events without a clientEventId. Their indexes held a row for every event, each one more B-tree
insert and one more page written to the WAL at every commit of ingest. Every read through them
asks for a value (`= ?`, `IN (…)`, `= ANY(?)`), which both databases know excludes NULL, so the
partial indexes serve the same reads (tests/test_reads_indexed.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, its columns, the column that must hold a value)
_INDEXES = (
    ("ix_events_replay_of", ["replay_of"], "replay_of"),
    ("ix_events_reverses_event_id", ["reverses_event_id"], "reverses_event_id"),
    ("ix_events_dedupe", ["connector_id", "dedupe_key", "received_at"], "dedupe_key"),
)


def upgrade() -> None:
    for name, columns, column in _INDEXES:
        holds = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name="events")
        op.create_index(name, "events", columns, postgresql_where=holds, sqlite_where=holds)


def downgrade() -> None:
    for name, columns, _column in _INDEXES:
        op.drop_index(name, table_name="events")
        op.create_index(name, "events", columns)
