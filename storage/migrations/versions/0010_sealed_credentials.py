"""Seal credentials at rest: every stored token and signing secret is encrypted (storage/secrets.py)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:40:00

The key is INBOUND_SECRET_KEY, else .inbound/secret-key (created here when missing): keep it with
the database. Downgrading opens them again (with the same key).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.secrets import SEALED, seal, unseal

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_credentials = sa.table("credentials", sa.column("id", sa.String), sa.column("value", sa.String))


def _convert(sealing: bool) -> None:
    bind = op.get_bind()
    for credential_id, value in bind.execute(sa.select(_credentials.c.id, _credentials.c.value)).all():
        if value.startswith(SEALED) == sealing:
            continue
        new = seal(value) if sealing else unseal(value)
        bind.execute(_credentials.update().where(_credentials.c.id == credential_id).values(value=new))


def upgrade() -> None:
    _convert(sealing=True)


def downgrade() -> None:
    _convert(sealing=False)
