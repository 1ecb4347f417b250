"""program settings kept with the data: the points expiry policy

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "program_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    # The expiry pass finds members with old points by these (kind, when earned).
    op.create_index("ix_points_kind_time", "points_entries", ["kind", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_points_kind_time", table_name="points_entries")
    op.drop_table("program_settings")
