"""On PostgreSQL the group writer's reads stay index searches as a new database fills up.

asyncpg prepares each statement once per connection; after five runs PostgreSQL may keep one
generic plan for good. Planned while the tables were empty, the read of claimed clientEventIds was
a hash join over a sequential scan of client_event_ids: every group read the whole table (3.3 ms
at 15,000 keys, growing), until autovacuum happened to analyze it. The driver's sessions plan each
statement for its parameters and the tables as they are (storage/driver.py, PG_SESSION_SETTINGS).

This runs the group's real opening (whose claims read is in inbound_open_group, migration 0026)
on a fresh database, often enough for a generic plan to be kept, fills client_event_ids, and
times it on the same connection: a search of the index, or a walk of the whole table (100 times
slower), are far apart.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from storage.driver import RawConnection, RawTransaction
from storage.group_opening import open_group
from tests.conftest import _fresh_database_url, require_postgres

KEYS = [("con_plans", False, f"order-{n}") for n in range(3)]


async def _open(tx: RawTransaction) -> None:
    identities = {("default", "a@x.io")}
    await open_group(tx, events=1, entries=1, test_connectors=(), keys=KEYS, identities=identities)


def test_the_claims_read_searches_the_index_after_the_table_grew(tmp_path: Path) -> None:
    require_postgres()
    url, cleanup = _fresh_database_url("postgresql", tmp_path)
    try:
        seconds = asyncio.run(_claims_read_after_growth(url))
    finally:
        cleanup()  # type: ignore[operator]
    # An index search takes well under a millisecond; the whole table (a generic plan made while
    # it was empty) took 30-40 ms here.
    assert seconds < 0.005, seconds


async def _claims_read_after_growth(url: str) -> float:
    """The median time of the claims read on the writer's connection, once client_event_ids
    holds 200,000 keys; the read ran on the empty table before, enough times for PostgreSQL to
    keep a generic plan if the session allows it."""
    raw = RawConnection(url)
    try:
        for _ in range(8):
            async with raw.transaction() as tx:
                await _open(tx)
        async with raw.transaction() as tx:
            await tx.fetch(
                "INSERT INTO client_event_ids (connector_id, test, client_event_id, event_id) "
                "SELECT 'con_other', false, 'e-' || n, n FROM generate_series(1, 200000) AS n"
            )
        took = []
        for _ in range(5):
            async with raw.transaction() as tx:
                started = time.perf_counter()
                await _open(tx)
                took.append(time.perf_counter() - started)
        return sorted(took)[len(took) // 2]
    finally:
        await raw.close()
