"""badges, and the badges members earned (by a rule's reaction or by hand)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:00:00

A badge that is not repeatable is granted once per member: see storage/tables.py MemberBadge.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "badges",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("repeatable", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "member_badges",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("profile_id", _BIG_ID, nullable=False),
        sa.Column("badge_id", sa.String(length=40), nullable=False),
        sa.Column("test", sa.Boolean(), nullable=False),
        sa.Column("once", sa.String(length=8), nullable=True),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("event_id", _BIG_ID, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["badge_id"], ["badges.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["profile_id"], ["profiles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("profile_id", "badge_id", "test", "once", name="uq_member_badges_once"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_member_badges_profile", "member_badges", ["profile_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_member_badges_profile", table_name="member_badges")
    op.drop_table("member_badges")
    op.drop_table("badges")
