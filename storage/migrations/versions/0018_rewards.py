"""rewards: the catalog, and the rewards members have (bought with points or issued by rules)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rewards",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("limit_max", sa.Integer(), nullable=True),
        sa.Column("limit_period", sa.String(length=16), nullable=True),
        sa.Column("available_from", sa.DateTime(), nullable=True),
        sa.Column("available_until", sa.DateTime(), nullable=True),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "issued_rewards",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("reward_id", sa.String(length=40), nullable=False),
        sa.Column("profile_id", _BIG_ID, nullable=False),
        sa.Column("test", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("spend_entry_id", _BIG_ID, nullable=True),
        sa.Column("refund_entry_id", _BIG_ID, nullable=True),
        sa.Column("rule_id", sa.String(length=64), nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("event_id", _BIG_ID, nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["profile_id"], ["profiles.id"]),
        sa.ForeignKeyConstraint(["reward_id"], ["rewards.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", name="uq_issued_rewards_code"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_issued_rewards_profile", "issued_rewards", ["profile_id", "id"])
    op.create_index(
        "ix_issued_rewards_reward_member", "issued_rewards", ["reward_id", "profile_id", "issued_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_issued_rewards_reward_member", table_name="issued_rewards")
    op.drop_index("ix_issued_rewards_profile", table_name="issued_rewards")
    op.drop_table("issued_rewards")
    op.drop_table("rewards")
