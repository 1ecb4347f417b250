"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and go down and up again cleanly."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import storage.tables  # noqa: F401 - registers the tables
from storage.database import Database
from storage.migrate import alembic_config, current_revision, migrate
from tests.conftest import BACKENDS, _fresh_database_url

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _differences(sync_conn: Any) -> list[Any]:
    context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            differences = await conn.run_sync(_differences)
    finally:
        await db.dispose()
    assert differences == [], f"migrations and storage/tables.py disagree: {differences}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_downgrade_to_nothing_and_up_again(backend: str, tmp_path: Path) -> None:
    url, cleanup = _fresh_database_url(backend, tmp_path)  # already at head

    async def down_and_up() -> tuple[str | None, str | None]:
        db = Database(url)
        try:
            async with db.engine.begin() as conn:
                await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "base"))
            bottom = await current_revision(db)
            await migrate(db)
            return bottom, await current_revision(db)
        finally:
            await db.dispose()

    try:
        assert asyncio.run(down_and_up()) == (None, HEAD)
    finally:
        cleanup()  # type: ignore[operator]
