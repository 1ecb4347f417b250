"""events.reverses_event_id: which event a refund reversed, so partial refunds add up exactly

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing refunds keep NULL: their reversal entries still cap what later refunds take.
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(
            sa.Column(
                "reverses_event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_index(batch_op.f("ix_events_reverses_event_id"), ["reverses_event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_reverses_event_id"))
        batch_op.drop_column("reverses_event_id")
