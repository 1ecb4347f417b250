"""Starting on a fresh database: concurrent migrations take turns, and the app migrates itself."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from pathlib import Path

from settings import load_settings
from storage.database import Database
from storage.migrate import current_revision, is_up_to_date
from tests.conftest import free_port, require_postgres, serve


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(require_postgres().replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


_MIGRATE = """
import asyncio, sys
from storage.database import Database
from storage.migrate import migrate

async def main() -> None:
    db = Database(sys.argv[1])
    try:
        await migrate(db)
    finally:
        await db.dispose()

asyncio.run(main())
"""


def _migrate_concurrently(url: str, processes: int) -> list[str]:
    """Run `migrate` in several processes at once, as several `inbound serve` starting together;
    returns the stderr of those that failed."""
    root = Path(__file__).parent.parent
    running = [
        subprocess.Popen(
            [sys.executable, "-c", _MIGRATE, url], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for _ in range(processes)
    ]
    failures = []
    for process in running:
        try:
            _, err = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
            failures.append("timed out: " + err.decode()[-500:])
            continue
        if process.returncode != 0:
            failures.append(err.decode()[-500:])
    return failures


def test_concurrent_migrations_of_a_fresh_postgres_database() -> None:
    # Without the advisory lock, the losers fail with duplicate-table / unique-violation errors.
    pg_url = require_postgres()
    name = f"inbound_test_migrate_{os.getpid()}_{secrets.token_hex(4)}"
    url = f"{pg_url.rpartition('/')[0]}/{name}"

    async def run() -> None:
        await _pg_admin(f'CREATE DATABASE "{name}"')
        try:
            assert await asyncio.to_thread(_migrate_concurrently, url, 6) == []
            db = Database(url)
            try:
                assert await is_up_to_date(db)
            finally:
                await db.dispose()
        finally:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    asyncio.run(run())


def test_concurrent_migrations_of_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    assert _migrate_concurrently(url, 4) == []


def test_the_app_migrates_an_empty_database_at_start(tmp_path: Path) -> None:
    # As `uvicorn --factory app:create_app` on a new SQLite file: before, "no such table".
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    token = "adm_" + secrets.token_hex(8)
    settings = load_settings(environ={}, database_url=url, admin_token=token, port=free_port())
    with serve(settings) as app:
        assert app.client.get("/health").status_code == 200
        listed = app.admin.get("/api/event-types")
        assert listed.status_code == 200, listed.text

    async def revision() -> str | None:
        db = Database(url)
        try:
            return await current_revision(db)
        finally:
            await db.dispose()

    assert asyncio.run(revision()) is not None
