"""webhook messages: the attempts on record from before a message was sent again by hand

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 11:40:00

"Send again" starts a fresh retry schedule (attempts back to 0) and keeps the attempt log. Without
this count a message being sent after that could not be told from one waiting: its attempts were
fewer than its rows in webhook_attempts.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (a constant default): the table is not rebuilt on SQLite.
    op.add_column(
        "webhook_messages", sa.Column("earlier_attempts", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    with op.batch_alter_table("webhook_messages") as batch:  # SQLite rebuilds the table to drop it
        batch.drop_column("earlier_attempts")
