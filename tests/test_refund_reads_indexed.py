"""A refund's reads are index searches, on SQLite and PostgreSQL: none reads the whole ledger.

For each award it reverses, a refund reads what later entries already took back from it. That
read once scanned every points entry (no index on reverses_entry_id): a refund cost ~40 ms at
60,000 entries and grew with the ledger.
"""

from __future__ import annotations

from storage.database import Database
from storage.entries import taken_from_query


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
