"""an index for parked events: found quickly when the member they wait for registers

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Partial: only the (few) parked rows are in it, so the sweep costs nothing on a big table.
    op.create_index(
        "ix_events_parked",
        "events",
        ["id"],
        postgresql_where=sa.text("status = 'parked'"),
        sqlite_where=sa.text("status = 'parked'"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_parked", table_name="events")
