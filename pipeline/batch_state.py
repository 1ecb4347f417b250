"""What a batch sets up before its first event: its locks, in one global order, and its profiles.

A request's events share one transaction (per chunk, see pipeline/batch.py), so the locks one
event takes are held while the later ones run. Taken event by event, two batches touching the
same members in opposite orders would deadlock. So `prepare` takes every lock the chunk can
need up front, in the order every writer uses:

1. the connector's test-data lock, shared (test data only; a purge takes it exclusive);
1b. the chunk's idempotency keys (clientEventIds), as advisory locks in key order: a batch that
   inserts a key another uncommitted batch is inserting waits on that batch; without these, two
   batches sending the same clientEventIds for different members waited on each other's keys
   (a deadlock, then every later event of the chunk failed again on its savepoint retry);
2. the profiles: every identity in the chunk, plus the members whose awards its refunds reverse,
   FOR UPDATE in id order in ONE statement; then the missing ones are inserted in (kind, value)
   order (a concurrent creator of the same member makes the insert wait, never a cycle: it
   holds no lock we hold that it has yet to take);
3. the whole-rule limit locks of every rule that could award one of the chunk's events, in
   rule id order.

After that an event takes no lock another writer could hold while waiting for ours: the
balances, entries, idempotency keys and event rows it writes are all covered by locks it
already holds. SQLite has one writer and takes no locks.

The profiles are resolved once per chunk, not once per event (one SELECT and at most one INSERT).
The first event of the chunk that reaches a newly created profile reports `created: true`, as
it did when each event created its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mapping.identity import normalise_identity
from pipeline.awards import rule_event_of, windows_to_count
from pipeline.context import RunContext, WorkItem
from storage import entries as entry_store
from storage import ledger
from storage.database import Connection
from storage.dialect import is_postgres
from storage.locks import lock_client_event_ids, lock_rules, lock_test_data
from storage.profiles import (
    ResolvedProfile,
    create_profiles,
    lock_identities,
    make_live,
)


@dataclass
class BatchState:
    """Set up by `prepare` for one transaction; forgotten at its commit."""

    # identity -> [profile id, created by this transaction and not yet reported]
    profiles: dict[tuple[str, str], list[int | bool]] = field(default_factory=dict)
    rule_locks: set[str] = field(default_factory=set)
    # (profile id, test) -> balance, as this transaction last read or wrote it under the profile lock
    balances: dict[tuple[int, bool], int] = field(default_factory=dict)

    def profile(self, kind: str, value: str) -> ResolvedProfile | None:
        found = self.profiles.get((kind, value))
        if found is None:
            return None
        profile_id, created = found
        found[1] = False
        return ResolvedProfile(int(profile_id), kind, value, created=bool(created))


def identity_of(item: WorkItem) -> tuple[str, str] | None:
    """The normalised (kind, value) the pipeline will look the event's profile up by, if it gets there."""
    mapped = item.mapped
    if (
        item.error is not None
        or mapped is None
        or not mapped.profile_value
        or not mapped.profile_value.strip()
    ):
        return None
    return normalise_identity(mapped.profile_kind, mapped.profile_value)


async def prepare(conn: Connection, ctx: RunContext, items: Sequence[WorkItem]) -> BatchState:
    state = BatchState()
    if ctx.test:
        # First of all locks: a purge of this connector's test data waits for us, or we for it.
        await lock_test_data(conn, ctx.snapshot.id, exclusive=False)
    if is_postgres(conn):
        keys = {i.mapped.client_event_id for i in items if i.mapped is not None and i.mapped.client_event_id}
        await lock_client_event_ids(conn, ctx.snapshot.id, keys, test=ctx.test)
    identities: set[tuple[str, str]] = set()
    refunds: set[str] = set()
    for item in items:
        identity = identity_of(item)
        if identity is None:
            continue
        identities.add(identity)
        if item.mapped is not None and item.mapped.reverses is not None:
            refunds.add(item.mapped.reverses.client_event_id)
    if not identities:
        return state
    also = None
    if refunds and is_postgres(conn):
        # A refund may touch another member's awards: lock them with ours, in id order.
        also = entry_store.awarded_by_claimed(
            connector_id=ctx.snapshot.id, client_event_ids=refunds, test=ctx.test
        )
    found = await lock_identities(conn, identities, also=also)
    missing = identities - found.keys()
    if missing and ctx.snapshot.row["create_profiles"]:
        created = await create_profiles(
            conn, missing, test=ctx.test, connector_id=ctx.snapshot.id, now=ctx.request.received_at
        )
        state.profiles.update({identity: [profile_id, True] for identity, profile_id in created.items()})
        if missing - created.keys():
            # Another transaction created them between our look-up and insert: theirs, locked.
            found.update(await lock_identities(conn, missing - created.keys()))
    if not ctx.test:
        await make_live(
            conn,
            [pid for identity, (pid, test_only) in found.items() if test_only and identity in identities],
        )
    state.profiles.update(
        {identity: [pid, False] for identity, (pid, _test) in found.items() if identity in identities}
    )
    # Read once for the chunk: under the profile locks only this transaction moves them.
    known = await ledger.balances_of(conn, {int(p[0]) for p in state.profiles.values()}, test=ctx.test)
    state.balances.update({(pid, ctx.test): balance for pid, balance in known.items()})
    if is_postgres(conn):
        whole_rule: set[str] = set()
        for item in items:
            mapped = item.mapped
            if mapped is None or identity_of(item) is None:
                continue
            at = mapped.timestamp if mapped.timestamp is not None else ctx.request.received_at
            rule_event = rule_event_of(
                mapped, connector_id=ctx.snapshot.id, event_type=ctx.event_type, occurred_at=at
            )
            windows = windows_to_count(ctx.rules, ctx.rule_statuses, rule_event, ctx.settings.tz)
            whole_rule.update(w.rule_id for w in windows if w.scope == "rule")
        await lock_rules(conn, whole_rule, state.rule_locks)
    return state
