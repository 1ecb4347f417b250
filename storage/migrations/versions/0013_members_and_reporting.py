"""members and reported events: event types that members or systems report (public, private,
intrinsic), their date bounds and enhancers; member attributes; member access tokens

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD/DROP COLUMN, never a batch rebuild: rebuilding event_types on SQLite would drop the
# triggers that move the configuration version (migration 0007).
_EVENT_TYPE_COLUMNS = ("reporting", "secret", "max_past_seconds", "max_future_seconds", "enhancers")
_PROFILE_COLUMNS = ("attributes", "registered_at")


def upgrade() -> None:
    # connectors (only connectors send it) | public | private | intrinsic (Inbound reports it)
    op.add_column(
        "event_types",
        sa.Column("reporting", sa.String(length=16), nullable=False, server_default="connectors"),
    )
    op.add_column("event_types", sa.Column("secret", sa.Text(), nullable=True))  # a private type's, sealed
    op.add_column("event_types", sa.Column("max_past_seconds", sa.BigInteger(), nullable=True))
    op.add_column("event_types", sa.Column("max_future_seconds", sa.BigInteger(), nullable=True))
    op.add_column("event_types", sa.Column("enhancers", sa.JSON(), nullable=True))
    op.add_column("profiles", sa.Column("attributes", sa.JSON(), nullable=True))
    op.add_column("profiles", sa.Column("registered_at", sa.DateTime(), nullable=True))
    op.create_table(
        "member_tokens",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("profile_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["profile_id"], ["profiles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_member_tokens_profile", "member_tokens", ["profile_id"])


def downgrade() -> None:
    op.drop_index("ix_member_tokens_profile", table_name="member_tokens")
    op.drop_table("member_tokens")
    for table, columns in (("profiles", _PROFILE_COLUMNS), ("event_types", _EVENT_TYPE_COLUMNS)):
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")  # SQLite 3.35+ and PostgreSQL
