"""indexes for the retention pass: old request-log rows and old raw payloads

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 19:45:00

The hourly retention pass (pipeline/retention.py) looks for request-log rows received before the
cut-off, and for events received before it that still hold their raw payload. Neither read had an
index: each pass read the whole request log and the whole events table (about 3.5 KB a row) inside
a write transaction, which on SQLite holds every ingest request for as long as the read takes,
and grows with the data kept. The events index is partial: an event leaves it when its payload is
emptied, so it holds only what the pass may still have to empty.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HOLDS_RAW = sa.text("raw IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_requests_time", "requests", ["received_at"])
    op.create_index(
        "ix_events_raw_time", "events", ["received_at"], postgresql_where=_HOLDS_RAW, sqlite_where=_HOLDS_RAW
    )


def downgrade() -> None:
    op.drop_index("ix_events_raw_time", table_name="events")
    op.drop_index("ix_requests_time", table_name="requests")
