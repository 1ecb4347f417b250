"""Shared fixtures: every storage and end-to-end test runs on SQLite and on PostgreSQL.

PostgreSQL runs when INBOUND_TEST_POSTGRES_URL is set (CI always sets it, see .ci/run), e.g.
postgresql+asyncpg://postgres@127.0.0.1:5432/test. Each test session creates its own fresh
databases and drops them at the end, so runs never see each other's data.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from app import create_app
from pipeline import group_writer
from settings import Settings, load_settings
from storage.database import Database
from storage.migrate import migrate

ADMIN_TOKEN = "adm_test_" + secrets.token_hex(8)
PG_URL = os.environ.get("INBOUND_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"]


def _pg_admin(sql: str) -> None:
    import asyncpg

    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")  # type: ignore[union-attr]

    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def _fresh_database_url(backend: str, tmp_dir: Path) -> tuple[str, object]:
    """A brand-new, migrated database for this test session; returns (url, cleanup)."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_dir / 'inbound-test.db'}"

        def cleanup() -> None:
            return None
    else:
        pg_url = require_postgres()
        name = f"inbound_test_{os.getpid()}_{secrets.token_hex(4)}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        base, _, _db = pg_url.rpartition("/")
        url = f"{base}/{name}"

        def cleanup() -> None:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def do_migrate() -> None:
        db = Database(url)
        await migrate(db)
        await db.dispose()

    asyncio.run(do_migrate())
    return url, cleanup


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, cleanup = _fresh_database_url(request.param, tmp_path_factory.mktemp(request.param))
    yield url
    cleanup()  # type: ignore[operator]


@pytest.fixture
def jsonata_python_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests of the jsonata-python adapter itself (its messages and bounds): that engine."""
    monkeypatch.setenv("INBOUND_MAPPING_ENGINE", "jsonata-python")


@pytest.fixture
async def db(database_url: str) -> object:
    database = Database(database_url)
    yield database
    await database.dispose()


@dataclass
class Server:
    url: str
    admin: httpx.Client
    client: httpx.Client
    database_url: str

    def ingest_url(self, connector_id: str) -> str:
        return f"{self.url}/ingest/{connector_id}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_postgres() -> str:
    """The PostgreSQL URL, or skip: the PostgreSQL half runs wherever make test / .ci/run set it."""
    if not PG_URL:
        pytest.skip("PostgreSQL tests need INBOUND_TEST_POSTGRES_URL (make test and .ci/run set it)")
    return PG_URL


# The suite dates events on fixed days (rule windows, campaigns, a DST change in 2026) that fall
# further in the past as the calendar moves: its servers bound no dates. The bounds are tested
# with event types of their own, and the defaults on a server of their own.
NO_DATE_BOUNDS: dict[str, Any] = {"max_past_days": 36_500, "max_future_seconds": 10 * 365 * 86_400}


@contextmanager
def serve(settings: Settings) -> Iterator[Server]:
    """The real service (`create_app`, uvicorn) on `settings.port`, in a thread, until the block ends."""
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=settings.port, log_level="warning", lifespan="on"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    base = f"http://127.0.0.1:{settings.port}"
    headers = {"Authorization": f"Bearer {settings.admin_token}"}
    admin = httpx.Client(base_url=base, headers=headers, timeout=30)
    client = httpx.Client(base_url=base, timeout=30)
    try:
        yield Server(base, admin, client, settings.database_url)
    finally:
        admin.close()
        client.close()
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def server(database_url: str) -> Iterator[Server]:
    """The real service on a loopback port, talking to a fresh database."""
    settings = load_settings(
        environ={},
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        host="127.0.0.1",
        port=free_port(),
        max_body_bytes=64 * 1024,
        max_batch_items=100,
        **NO_DATE_BOUNDS,
        # The whole suite refuses hundreds of requests from 127.0.0.1 on purpose; the limit on
        # refusals per address is tested on servers of its own (tests/test_rate_limits_e2e.py).
        rate_limit_refused="off",
    )
    with serve(settings) as running:
        yield running


@pytest.fixture(autouse=True)
def _ledger_adds_up(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that used the `server`, every balance must still equal its entries.

    One GET /api/ledger/check (a single aggregate query); a mismatch fails the test's teardown.
    """
    if "server" not in request.fixturenames:
        yield
        return
    server: Server = request.getfixturevalue("server")
    fallbacks = group_writer.stats.fallbacks
    yield
    if "group_may_fail" not in request.keywords:
        # A group that fails is rewritten job by job and still answers right, which would hide a
        # broken group path from every test: none may fail where nothing was meant to.
        assert group_writer.stats.fallbacks == fallbacks, "a write group failed; see the log"
    check = server.admin.get("/api/ledger/check")
    assert check.status_code == 200, check.text
    body = check.json()
    if not body["ok"]:
        pytest.fail(f"the ledger does not add up after {request.node.name}: {body['mismatches']}")
