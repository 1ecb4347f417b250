"""PostgreSQL: a group's writes as a function, so that their plan is made once per connection

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08 02:10:00

The group writer's five inserts (events, keys, points entries, balance moves, request-log rows)
are one statement of data-modifying CTEs over unnest()ed arrays. The driver's sessions plan every
statement for its parameters (plan_cache_mode = force_custom_plan, so that reads follow the
tables' growth), which planned this one at every group: 270 µs of PostgreSQL's time a group
(pg_stat_statements over a 12 s single-event run), more than a third of what running it took. Its
plan depends on nothing the data could change: INSERT … SELECT FROM unnest(…). In a PL/pgSQL
function with plan_cache_mode = force_generic_plan it is planned once per connection.

The statement is the one storage/group_writes.py sent until now, the placeholders named by the
CTE that takes them (ev: events, cl: clientEventIds, aw: awards, ba: balance moves, rq: requests).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE FUNCTION inbound_write_group(
  ev1 bigint[],
  ev2 text[],
  ev3 text[],
  ev4 int[],
  ev5 int[],
  ev6 text[],
  ev7 text[],
  ev8 text[],
  ev9 text[],
  ev10 text[],
  ev11 bigint[],
  ev12 bigint[],
  ev13 json[],
  ev14 json[],
  ev15 json[],
  ev16 int[],
  ev17 bool[],
  ev18 timestamp[],
  ev19 timestamp[],
  cl1 text[],
  cl2 bool[],
  cl3 text[],
  cl4 bigint[],
  aw1 bigint[],
  aw2 bigint[],
  aw3 bigint[],
  aw4 text[],
  aw5 int[],
  aw6 bigint[],
  aw7 text[],
  aw8 bool[],
  aw9 timestamp[],
  aw10 timestamp[],
  ba1 bigint[],
  ba2 bool[],
  ba3 bigint[],
  ba4 bigint[],
  ba5 timestamp[],
  rq1 text[],
  rq2 text[],
  rq3 timestamp[],
  rq4 text[],
  rq5 int[],
  rq6 text[],
  rq7 text[],
  rq8 text[],
  rq9 bool[],
  rq10 text[],
  rq11 int[],
  rq12 text[],
  rq13 text[],
  rq14 json[],
  rq15 float8[],
  rq16 json[],
  rq17 json[],
  rq18 text[]
) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
WITH ev AS (
  INSERT INTO events (id, request_id, connector_id, "index", sub_index, client_event_id, dedupe_key,
    event_type, status, reason, duplicate_of, profile_id, raw, mapped, trace, mapping_version, test,
    occurred_at, received_at)
  SELECT * FROM unnest(ev1, ev2, ev3, ev4, ev5, ev6, ev7,
    ev8, ev9, ev10, ev11, ev12, ev13, ev14, ev15, ev16,
    ev17, ev18, ev19)
), cl AS (
  INSERT INTO client_event_ids (connector_id, test, client_event_id, event_id)
  SELECT * FROM unnest(cl1, cl2, cl3, cl4)
), aw AS (
  INSERT INTO points_entries (id, profile_id, points, kind, rule_id, rule_version, event_id, connector_id,
    test, occurred_at, created_at)
  SELECT a.id, a.profile_id, a.points, 'award', a.rule_id, a.rule_version, a.event_id, a.connector_id,
    a.test, a.occurred_at, a.created_at
  FROM unnest(aw1, aw2, aw3, aw4, aw5, aw6, aw7,
    aw8, aw9, aw10)
    AS a(id, profile_id, points, rule_id, rule_version, event_id, connector_id, test, occurred_at, created_at)
), ba AS (
  INSERT INTO balances (profile_id, test, balance, lifetime, updated_at)
  SELECT * FROM unnest(ba1, ba2, ba3, ba4, ba5)
  ON CONFLICT (profile_id, test) DO UPDATE SET balance = balances.balance + excluded.balance,
    lifetime = balances.lifetime + excluded.lifetime, updated_at = excluded.updated_at
)
  INSERT INTO requests (id, connector_id, received_at, method, status_code, auth_outcome, auth_reason,
    credential_id, test, content_type, body_bytes, error_code, error_message, counts, duration_ms,
    headers, query, path)
  SELECT * FROM unnest(rq1, rq2, rq3, rq4, rq5, rq6, rq7,
    rq8, rq9, rq10, rq11, rq12, rq13, rq14, rq15, rq16,
    rq17, rq18);
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION inbound_write_group")  # the only one of its name
