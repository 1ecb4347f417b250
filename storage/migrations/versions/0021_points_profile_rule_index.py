"""an index for limit windows: a member's awards of one rule in a period

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 06:20:00

A limit window counts one rule's awards to one member in [start, end). With only
(profile_id, occurred_at) an index search read every entry of the member in the period, all
rules alike: a member who earns from ten rules in a day had each "once a day" check read all of
that day's entries.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_points_profile_rule_time", "points_entries", ["profile_id", "rule_id", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_points_profile_rule_time", table_name="points_entries")
