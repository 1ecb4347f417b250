"""requests.path: the SDK path a request came to after its connector's URL (/v1/batch, /api/s/track)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:20:00

The mapping sees it as $path (and the call type as $call); a replay feeds it back, so a replayed
event maps as the original did.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("path", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("path")
