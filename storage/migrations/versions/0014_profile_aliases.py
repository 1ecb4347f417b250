"""profiles.merged_into: an identity that belongs to another member (a second identity, or a
member merged into another), so events sent under it credit that member

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 01:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild of profiles). No foreign key: an alias is resolved and
    # re-pointed by storage/members.py in the transaction that merges, under the members' locks.
    op.add_column(
        "profiles",
        sa.Column("merged_into", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    )
    op.create_index("ix_profiles_merged_into", "profiles", ["merged_into"])


def downgrade() -> None:
    op.drop_index("ix_profiles_merged_into", table_name="profiles")
    op.execute("ALTER TABLE profiles DROP COLUMN merged_into")
