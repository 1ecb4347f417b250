"""indexes for reads that walked whole growing tables: retention, expiry, dry runs

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 19:45:00

Found by explaining every statement the test suite runs (tests/test_reads_indexed.py holds them):
- The hourly retention pass looked for old request-log rows and old raw payloads with no index:
  each pass read the whole request log and events table (about 3.5 KB a row) inside write
  transactions, which on SQLite hold every ingest request, for a time that grew with the data
  kept. `ix_events_raw_time` is partial: an event leaves it when its payload is emptied.
- The expiry pass looked for issued rewards past their validity by reading all of them; the
  partial index holds only those still `issued`.
- A dry run looked for the badges its events granted by reading every granted badge.
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
_STILL_ISSUED = sa.text("status = 'issued'")


def upgrade() -> None:
    op.create_index("ix_requests_time", "requests", ["received_at"])
    op.create_index(
        "ix_events_raw_time", "events", ["received_at"], postgresql_where=_HOLDS_RAW, sqlite_where=_HOLDS_RAW
    )
    op.create_index(
        "ix_issued_rewards_due",
        "issued_rewards",
        ["expires_at"],
        postgresql_where=_STILL_ISSUED,
        sqlite_where=_STILL_ISSUED,
    )
    op.create_index("ix_member_badges_event", "member_badges", ["event_id"])


def downgrade() -> None:
    op.drop_index("ix_member_badges_event", table_name="member_badges")
    op.drop_index("ix_issued_rewards_due", table_name="issued_rewards")
    op.drop_index("ix_events_raw_time", table_name="events")
    op.drop_index("ix_requests_time", table_name="requests")
