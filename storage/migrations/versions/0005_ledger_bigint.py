"""ledger amounts 64-bit: points, balance and lifetime as BIGINT

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite integers are 64-bit already; PostgreSQL's INTEGER is 32-bit.
    with op.batch_alter_table("points_entries") as batch_op:
        batch_op.alter_column(
            "points", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False
        )
    with op.batch_alter_table("balances") as batch_op:
        batch_op.alter_column(
            "balance", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False
        )
        batch_op.alter_column(
            "lifetime", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("balances") as batch_op:
        batch_op.alter_column(
            "lifetime", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False
        )
        batch_op.alter_column(
            "balance", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False
        )
    with op.batch_alter_table("points_entries") as batch_op:
        batch_op.alter_column(
            "points", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False
        )
