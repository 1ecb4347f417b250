"""PostgreSQL: a group's opening locks and reads as one call (inbound_open_group)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 01:40:00

The group writer began each group with four round trips: allocate ids, lock the idempotency keys
(and test data), lock the members, then read the claimed keys and the balances. Each read has to
follow its lock in a statement of its own (a statement's snapshot is taken before it waits on a
lock, so a read in the locking statement could miss what the lock holder committed). A PL/pgSQL
function runs the same statements in the same order, each with a fresh snapshot, in one round
trip. SQLite has a single writer and takes no locks: nothing changes there.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The statements are those of storage/group_state.py and storage/locks.py, in the global lock
# order of storage/locks.py: test data (shared), idempotency keys, members FOR UPDATE in id order.
# Then, each with a snapshot taken after those locks: the claimed keys and the members' balances.
FUNCTION = """
CREATE FUNCTION inbound_open_group(
  n_events int, n_entries int,
  test_space int, test_keys int[], key_space int, key_locks int[],
  kinds text[], vals text[],
  claim_connectors text[], claim_tests bool[], claim_ids text[],
  OUT event_ids bigint[], OUT entry_ids bigint[],
  OUT p_kinds text[], OUT p_values text[], OUT p_ids bigint[], OUT p_tests bool[], OUT p_merged bool[],
  OUT c_connectors text[], OUT c_tests bool[], OUT c_ids text[], OUT c_events bigint[],
  OUT b_profiles bigint[], OUT b_tests bool[], OUT b_balances bigint[]
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  event_ids := ARRAY(SELECT nextval(pg_get_serial_sequence('events', 'id'))
                     FROM generate_series(1, n_events));
  entry_ids := ARRAY(SELECT nextval(pg_get_serial_sequence('points_entries', 'id'))
                     FROM generate_series(1, n_entries));
  PERFORM pg_advisory_xact_lock_shared(test_space, k) FROM unnest(test_keys) AS k;
  PERFORM pg_advisory_xact_lock(key_space, k) FROM unnest(key_locks) AS k;
  SELECT array_agg(l.kind), array_agg(l.value), array_agg(l.id), array_agg(l.test),
         array_agg(l.merged_into IS NOT NULL)
    INTO p_kinds, p_values, p_ids, p_tests, p_merged
    FROM (SELECT i.kind, i.value, t.id, t.test, t.merged_into FROM profiles p
          JOIN unnest(kinds, vals) AS i(kind, value) ON p.kind = i.kind AND p.value = i.value
          JOIN profiles t ON t.id = COALESCE(p.merged_into, p.id)
          ORDER BY t.id FOR UPDATE OF t) AS l;
  SELECT array_agg(k.connector_id), array_agg(k.test), array_agg(k.client_event_id),
         array_agg(k.event_id)
    INTO c_connectors, c_tests, c_ids, c_events
    FROM client_event_ids k
    JOIN unnest(claim_connectors, claim_tests, claim_ids) AS w(c, t, i)
      ON k.connector_id = w.c AND k.test = w.t AND k.client_event_id = w.i;
  SELECT array_agg(b.profile_id), array_agg(b.test), array_agg(b.balance)
    INTO b_profiles, b_tests, b_balances
    FROM balances b WHERE b.profile_id = ANY(p_ids);
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION inbound_open_group")  # the only one of its name
