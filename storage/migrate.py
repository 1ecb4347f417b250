"""Bring a database to the newest schema with Alembic (also used by tests on both backends)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from storage.database import Database
from storage.locks import lock_migrations

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def migrate(db: Database, revision: str = "head") -> None:
    """Upgrade to `revision`; safe when several processes start at once on a fresh database.

    PostgreSQL: the whole upgrade runs in one transaction that first takes an advisory lock, so
    concurrent migrators take turns and the later ones find the schema already there. SQLite: the
    transaction begins IMMEDIATE, taking the database's single write lock before reading the version.
    """
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            conn = await conn.execution_options(sqlite_begin="IMMEDIATE")
        async with conn.begin():
            await lock_migrations(conn)
            await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), revision))


async def is_up_to_date(db: Database) -> bool:
    """Whether the database is at the newest revision (one query; used at start-up)."""
    return await current_revision(db) == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with db.engine.connect() as conn:
        return await conn.run_sync(
            lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision()
        )
