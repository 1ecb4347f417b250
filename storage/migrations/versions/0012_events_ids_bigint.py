"""events.profile_id and events.duplicate_of 64-bit, as the ids they hold

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 00:30:00

Profiles and events have 64-bit ids; these two columns were created as INTEGER, which is 32-bit
on PostgreSQL (SQLite's integers are 64-bit already). Found by schemathesis: filtering events by
`profile=4422711522716` gave a 500 on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_COLUMNS = ("profile_id", "duplicate_of")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # already 64-bit; a batch rebuild of the biggest table would buy nothing
    with op.batch_alter_table("events") as batch_op:
        for column in _COLUMNS:
            batch_op.alter_column(column, type_=_BIG, existing_type=sa.Integer(), existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    with op.batch_alter_table("events") as batch_op:
        for column in _COLUMNS:
            batch_op.alter_column(column, type_=sa.Integer(), existing_type=_BIG, existing_nullable=True)
