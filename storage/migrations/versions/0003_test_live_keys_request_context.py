"""test and live idempotency keys apart; request headers and query kept; one entry per kind

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 08:20:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _keys_table(name: str, *, with_test: bool) -> None:
    columns: list[sa.Column[Any]] = [
        sa.Column("connector_id", sa.String(length=64), nullable=False),
        sa.Column("client_event_id", sa.String(length=256), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    ]
    key = ["connector_id", "client_event_id"]
    if with_test:
        columns.insert(1, sa.Column("test", sa.Boolean(), nullable=False, server_default=sa.false()))
        key = ["connector_id", "test", "client_event_id"]
    op.create_table(name, *columns, sa.PrimaryKeyConstraint(*key, name=f"{name}_pkey"))


def _rename_keys_table(name: str) -> None:
    op.rename_table(name, "client_event_ids")
    if op.get_bind().dialect.name == "postgresql":  # keep the default name for later migrations
        op.execute(f"ALTER TABLE client_event_ids RENAME CONSTRAINT {name}_pkey TO client_event_ids_pkey")


def upgrade() -> None:
    # A new primary key: rebuild the table (the same on SQLite and PostgreSQL), marking each
    # existing key test or live by the event that holds it.
    _keys_table("client_event_ids_new", with_test=True)
    op.execute(
        "INSERT INTO client_event_ids_new (connector_id, test, client_event_id, event_id) "
        "SELECT k.connector_id, COALESCE(e.test, false), k.client_event_id, k.event_id "
        "FROM client_event_ids k LEFT JOIN events e ON e.id = k.event_id"
    )
    op.drop_table("client_event_ids")
    _rename_keys_table("client_event_ids_new")

    with op.batch_alter_table("requests") as batch_op:
        batch_op.add_column(sa.Column("headers", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("query", sa.JSON(), nullable=True))

    with op.batch_alter_table("points_entries") as batch_op:
        batch_op.drop_constraint("uq_points_event_rule", type_="unique")
        batch_op.create_unique_constraint("uq_points_event_rule_kind", ["event_id", "rule_id", "kind"])


def downgrade() -> None:
    with op.batch_alter_table("points_entries") as batch_op:
        batch_op.drop_constraint("uq_points_event_rule_kind", type_="unique")
        batch_op.create_unique_constraint("uq_points_event_rule", ["event_id", "rule_id"])
    with op.batch_alter_table("requests") as batch_op:
        batch_op.drop_column("query")
        batch_op.drop_column("headers")
    _keys_table("client_event_ids_old", with_test=False)
    op.execute(
        "INSERT INTO client_event_ids_old (connector_id, client_event_id, event_id) "
        "SELECT connector_id, client_event_id, event_id FROM client_event_ids WHERE NOT test"
    )
    op.drop_table("client_event_ids")
    _rename_keys_table("client_event_ids_old")
