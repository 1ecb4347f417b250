"""config_version: one number that moves whenever anything an ingest request reads changes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 20:15:00

The ingest path keeps each connector's snapshot (auth, credentials, mapping, event type, rules)
in memory and checks this one row per request instead of reading them all again. Triggers move
the number on every insert, update or delete of connectors, credentials, event types and
earning rules, whatever wrote them (the API, a migration, SQL by hand), in the writer's own
transaction: every app process sees the change at its next request.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = ("connectors", "credentials", "event_types", "earning_rules")


def upgrade() -> None:
    op.create_table(
        "config_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO config_version (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION inbound_bump_config_version() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$"
        )
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER {table}_bump_config_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION inbound_bump_config_version()"
            )
        return
    for table in WATCHED:
        for action in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_{action.lower()}_bump_config_version AFTER {action} ON {table} "
                "BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER {table}_bump_config_version ON {table}")
        op.execute("DROP FUNCTION inbound_bump_config_version()")
    else:
        for table in WATCHED:
            for action in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_{action}_bump_config_version")
    op.drop_table("config_version")
