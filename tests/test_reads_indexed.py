"""Reads that once scanned a whole growing table are index searches, on SQLite and PostgreSQL.

- For each award it reverses, a refund reads what later entries already took back from it. It
  scanned every points entry: a refund cost ~40 ms at 60,000 entries and grew with the ledger.
- The hourly retention pass looks for old request-log rows and old raw payloads. It read the
  whole request log and events table in a write transaction, which on SQLite holds ingest.
"""

from __future__ import annotations

from datetime import UTC, datetime

from storage.database import Database
from storage.entries import taken_from_query
from storage.retention import old_raw_query, old_requests_query


async def _plan(db: Database, query: object) -> str:
    async with db.engine.connect() as conn:
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]
        if not db.is_sqlite:
            await conn.exec_driver_sql("SET enable_seqscan = off")  # the tables here are tiny
            rows = (await conn.exec_driver_sql(f"EXPLAIN {sql}")).all()
        else:
            rows = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")).all()
    return "\n".join(str(row[-1]) for row in rows)


async def test_what_a_refund_reads_per_award_is_an_index_search(db: Database) -> None:
    plan = await _plan(db, taken_from_query(1, test=False))
    assert "ix_points_reverses_entry" in plan, plan
    assert "SCAN points_entries" not in plan and "Seq Scan" not in plan, plan


async def test_the_retention_pass_finds_old_rows_by_index(db: Database) -> None:
    before = datetime(2026, 1, 1, tzinfo=UTC)
    requests_plan = await _plan(db, old_requests_query(before))
    assert "ix_requests_time" in requests_plan, requests_plan
    raw_plan = await _plan(db, old_raw_query(before))
    assert "ix_events_raw_time" in raw_plan, raw_plan
    for plan in (requests_plan, raw_plan):
        assert "SCAN requests" not in plan and "SCAN events" not in plan and "Seq Scan" not in plan, plan
