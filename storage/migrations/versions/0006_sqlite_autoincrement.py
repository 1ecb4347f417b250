"""never reuse integer ids on SQLite: AUTOINCREMENT on the tables whose rows can be deleted

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 09:00:00

Without AUTOINCREMENT SQLite hands the highest ids of deleted rows (a purge of test data) out
again, so an id an earlier answer, trace or reason gave would name a different row. PostgreSQL's
identities never go back: nothing to do there. Ids deleted before this migration are not known
to SQLite any more; from here on every new id is above every id the table has held.

The migration runs in one transaction with foreign keys on (they cannot be switched off inside
a transaction), so rebuilding `profiles` would cascade-delete its balances and fail on its points
entries: the rows of both are set aside while `profiles` is rebuilt and put back afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("profiles", "events", "points_entries", "samples", "admin_log")
CHILDREN_OF_PROFILES = ("balances", "points_entries")


def _rebuild(autoincrement: bool) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    columns: dict[str, str] = {}
    for child in CHILDREN_OF_PROFILES:
        names = [row[1] for row in conn.exec_driver_sql(f'PRAGMA table_info("{child}")')]
        columns[child] = ", ".join(f'"{name}"' for name in names)
        conn.exec_driver_sql(f'CREATE TEMP TABLE "_stash_{child}" AS SELECT {columns[child]} FROM "{child}"')
        conn.exec_driver_sql(f'DELETE FROM "{child}"')
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass
    for child in CHILDREN_OF_PROFILES:
        conn.exec_driver_sql(
            f'INSERT INTO "{child}" ({columns[child]}) SELECT {columns[child]} FROM "_stash_{child}"'
        )
        conn.exec_driver_sql(f'DROP TABLE "_stash_{child}"')


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)
