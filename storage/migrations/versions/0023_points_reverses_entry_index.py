"""an index for refunds: the entries that took points back from an award

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 19:30:00

A refund asks, for each award it reverses, what later entries already took back from it
(`storage.entries.taken_from`: entries whose reverses_entry_id is that award). With no index this
read the whole ledger once per award: 13 ms per award at 60,000 entries, growing with the ledger,
so a refund cost ~40 ms and a batch with one refund in ten ran at 230 events/s. Partial, because
only reversals and withdrawals set the column: awards, the bulk of the ledger, are not indexed and
cost nothing more to write.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ONLY_SET = sa.text("reverses_entry_id IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_points_reverses_entry",
        "points_entries",
        ["reverses_entry_id"],
        postgresql_where=_ONLY_SET,
        sqlite_where=_ONLY_SET,
    )


def downgrade() -> None:
    op.drop_index("ix_points_reverses_entry", table_name="points_entries")
