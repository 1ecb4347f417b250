"""One group of jobs in one transaction, set-based: the steps the group writer runs.

open the group (storage/group_opening.py: ids, the test-data, idempotency-key and member locks,
the claimed keys and the found members' balances; one call on PostgreSQL) → create the missing
members → lock whole-rule limits (the global order of storage/locks.py) → read recent identical
events and limit usage for the whole group → judge each event in arrival order in Python,
updating that state as awards are made (pipeline/group_judge.py) → write events, keys, points
entries, balances and request-log rows (storage/group_writes.py: executemany on SQLite, one
statement on PostgreSQL). Ids are allocated first, so each event is written once, with its
final trace.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from earning_rules import limit_windows, rules_needing_usage
from pipeline.awards import rule_event_of
from pipeline.enhance import counts_nth, member_facts, reads_attributes
from pipeline.group_judge import GroupState, judge
from pipeline.group_plan import Job, PlannedEvent
from pipeline.outbox import Subscriptions, messages_for
from pipeline.process import dedupe_key, parked_reason, profile_json
from pipeline.reactions import react
from storage import group_opening, group_writes, locks
from storage import group_state as sql
from storage import webhooks as webhook_store
from storage.driver import RawTransaction


def _pending(jobs: Sequence[Job]) -> list[tuple[Job, PlannedEvent]]:
    return [(job, e) for job in jobs for e in job.events if e.pending]


async def write_group(
    tx: RawTransaction, jobs: Sequence[Job], subscribed: Subscriptions = frozenset()
) -> int:
    """Finish every planned event of `jobs` and write them, in `tx` (committed by the caller);
    with them, the outbox messages of the kinds in `subscribed`. Returns how many messages."""
    # A rule awards an event at most once: the rules of its job bound the entries it can need.
    most_entries = sum(len(job.ctx.rules) for job in jobs for e in job.events if e.pending)
    pending = _pending(jobs)
    opening = await group_opening.open_group(
        tx,
        events=sum(len(job.events) for job in jobs),
        entries=most_entries,
        test_connectors={job.ctx.snapshot.id for job in jobs if job.ctx.test},
        keys={(j.ctx.snapshot.id, j.ctx.test, cid) for j, e in pending if (cid := _cid(e)) is not None},
        identities={e.identity for _j, e in pending if e.identity is not None},
    )
    event_ids = iter(opening.event_ids)
    for job in jobs:
        for planned in job.events:
            planned.row.id = next(event_ids)
            if not planned.pending:  # decided before the group (a failed mapping, no identifier)
                planned.result["eventId"] = planned.row.id
    profiles = await _resolve_profiles(tx, pending, opening.found)
    await _member_facts(tx, pending, profiles)  # before the limits and duplicates see the event
    await locks.lock_rules_of(
        tx, {w.rule_id for _j, _e, ws in _windows_of(pending, profiles) for w in ws if w.profile_id is None}
    )
    # Balances: those the opening read for the members it found; the others' (created since, by
    # this group or by another writer) read now that they are locked.
    wanted = {(pid, j.ctx.test) for j, e in pending if (pid := profiles.get(id(e)))}
    found = {p.id for p in opening.found.values()}
    balances = {key: opening.balances.get(key, 0) for key in wanted if key[0] in found}
    balances.update(await sql.balances_of(tx, {key for key in wanted if key[0] not in found}))
    claimed = opening.claimed
    identical = await _recent_identical(tx, pending, profiles)
    nth = await _nth_so_far(tx, pending, profiles)
    windows = sorted({w for _j, _e, ws in _windows_of(pending, profiles) for w in ws}, key=_window_order)
    counts = dict(zip(windows, [list(c) for c in await sql.usages(tx, windows)], strict=True))
    state = GroupState(profiles, claimed, identical, balances, counts, iter(opening.entry_ids), nth=nth)
    for job, planned in pending:
        judge(job, planned, state)
    reacted = 0
    if state.reacting:
        reacted = await react(tx, state.reacting, set(subscribed), jobs[0].ctx.settings.tz)

    await group_writes.write_group_rows(
        tx,
        events=[e.row for job in jobs for e in job.events],
        claims=state.claims,
        awards=state.awards,
        moves=state.moves,
        now=max(job.ctx.request.received_at for job in jobs),
        requests=[job.log_row(job.earlier + job.results) for job in jobs if job.log_row],
    )
    if not subscribed:
        return reacted
    outgoing = [
        m
        for job in jobs
        for e in job.events
        for m in messages_for(e.row, e.result, subscribed, at=job.ctx.request.received_at)
    ]
    await webhook_store.enqueue_raw(tx, outgoing)
    return reacted + len(outgoing)


def _cid(planned: PlannedEvent) -> str | None:
    return planned.mapped.client_event_id if planned.mapped is not None else None


async def _resolve_profiles(
    tx: RawTransaction,
    pending: list[tuple[Job, PlannedEvent]],
    found: dict[tuple[str, str], sql.FoundProfile],
) -> dict[int, int]:
    """{id(planned event): profile id}, in arrival order; `found`: the members the group's opening
    found and locked. A missing profile is created by the first event whose connector creates
    profiles (it reports `created: true`); one whose connector does not is `ignored` when it comes
    before that. Live events make test-only profiles real."""
    found = dict(found)
    creators: dict[tuple[str, str], tuple[Job, PlannedEvent]] = {}
    for job, planned in pending:
        identity = planned.identity
        missing = identity is not None and identity not in found and identity not in creators
        if missing and job.ctx.snapshot.row["create_profiles"]:
            assert identity is not None
            creators[identity] = (job, planned)
    new = [
        sql.NewProfile(i[0], i[1], job.ctx.test, job.ctx.snapshot.id, job.ctx.request.received_at)
        for i, (job, _e) in creators.items()
    ]
    created = await sql.create_profiles(tx, new)
    if len(created) < len(new):  # another transaction created some meanwhile: theirs, locked
        found.update(await sql.lock_profiles(tx, set(creators) - created.keys()))
    test_only = {pid.id for pid in found.values() if pid.test_only}
    test_only.update(pid for i, pid in created.items() if creators[i][0].ctx.test)
    ids: dict[tuple[str, str], int] = {i: p.id for i, p in found.items()} | created
    resolved: dict[int, int] = {}
    live: set[int] = set()
    exists = set(found)
    for job, planned in pending:
        identity = planned.identity
        assert identity is not None
        kind, value = identity
        if identity not in exists and creators.get(identity, (None, None))[1] is not planned:
            reason = parked_reason(kind, value)
            planned.trace.append({"step": "profile", "ok": False, "reason": reason})
            planned.finish("parked", reason, profile=profile_json(kind, value))
            continue
        first = identity not in exists and identity in created
        exists.add(identity)
        pid = ids[identity]
        resolved[id(planned)] = pid
        if not job.ctx.test and pid in test_only:
            live.add(pid)
        planned.row.profile_id = pid
        planned.result["profile"] = profile_json(kind, value, pid, first)
        planned.trace.append(
            {"step": "profile", "ok": True, "profileId": pid, "created": first, "kind": kind, "value": value}
        )
    await sql.make_live(tx, live)
    return resolved


async def _member_facts(
    tx: RawTransaction, pending: list[tuple[Job, PlannedEvent]], profiles: dict[int, int]
) -> None:
    """The `member_attributes` enhancer: the member's attributes as facts of the event."""
    wanted = [
        (j, e) for j, e in pending if reads_attributes(j.ctx.enhancers) and id(e) in profiles and e.mapped
    ]
    if not wanted:
        return
    attributes = await sql.member_attributes(tx, {profiles[id(e)] for _j, e in wanted})
    for job, planned in wanted:
        assert planned.mapped is not None
        mapped, added = member_facts(
            planned.mapped, job.ctx.member_enhancers, attributes.get(profiles[id(planned)], {})
        )
        planned.mapped = mapped
        planned.row.mapped = mapped.to_json()
        planned.trace.append({"step": "enhance", "ok": True, "member": True, **added})


async def _nth_so_far(
    tx: RawTransaction, pending: list[tuple[Job, PlannedEvent]], profiles: dict[int, int]
) -> dict[tuple[int, str], int]:
    """(member, event type) -> processed events so far, for the `nth_event` enhancer."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for job, planned in pending:
        if counts_nth(job.ctx.enhancers) and id(planned) in profiles:
            wanted[job.ctx.event_type].add(profiles[id(planned)])
    found: dict[tuple[int, str], int] = {}
    for event_type, pids in sorted(wanted.items()):
        for pid, count in (await sql.processed_counts(tx, event_type, pids)).items():
            found[(pid, event_type)] = count
    return found


def _windows_of(
    pending: list[tuple[Job, PlannedEvent]], profiles: dict[int, int]
) -> list[tuple[Job, PlannedEvent, list[sql.Window]]]:
    """The limit windows each event's candidate rules count (computed once per event, cached)."""
    out = []
    for job, planned in pending:
        pid = profiles.get(id(planned))
        if pid is None or not planned.pending or planned.mapped is None:
            continue
        cached = planned.windows
        if cached is None:
            ctx = job.ctx
            rule_event = planned.rule_event = rule_event_of(
                planned.mapped,
                connector_id=ctx.snapshot.id,
                event_type=ctx.event_type,
                occurred_at=planned.row.occurred_at,
            )
            candidates = rules_needing_usage(
                ctx.rules,
                rule_event,
                include_statuses=ctx.rule_statuses,
                conditions=not counts_nth(ctx.enhancers),  # its nth is only known when judged
            )
            cached = [
                (
                    w.key,
                    sql.Window(w.rule_id, pid if w.scope == "profile" else None, ctx.test, w.start, w.end),
                )
                for rule in candidates
                for w in limit_windows(rule, rule_event.timestamp, ctx.settings.tz)
            ]
            planned.windows = cached
        out.append((job, planned, [w for _k, w in cached]))
    return out


def _window_order(w: sql.Window) -> tuple[Any, ...]:
    return (w.rule_id, w.profile_id or 0, w.test, w.start or datetime.min, w.end or datetime.min)


async def _recent_identical(
    tx: RawTransaction, pending: list[tuple[Job, PlannedEvent]], profiles: dict[int, int]
) -> dict[tuple[str, bool, str], list[tuple[int, datetime]]]:
    """Processed events already stored with the dedupe keys of the group's events without a
    clientEventId (each event then looks within its own window)."""
    wanted: dict[tuple[str, bool], set[str]] = defaultdict(set)
    since: dict[tuple[str, bool], datetime] = {}
    for job, planned in pending:
        pid = profiles.get(id(planned))
        if pid is None or _cid(planned) is not None or planned.mapped is None:
            continue
        key = dedupe_key(job.ctx.event_type, pid, planned.mapped)
        planned.row.dedupe_key = key
        window = job.ctx.settings.duplicate_window_seconds
        if window <= 0:
            continue
        where = (job.ctx.snapshot.id, job.ctx.test)
        wanted[where].add(key)
        start = job.ctx.request.received_at - timedelta(seconds=window)
        since[where] = min(since.get(where, start), start)
    found: dict[tuple[str, bool, str], list[tuple[int, datetime]]] = defaultdict(list)
    for (connector_id, test), keys in sorted(wanted.items()):
        for key, event_id, received_at in await sql.recent_identical(
            tx, connector_id, test, keys, since[(connector_id, test)]
        ):
            found[(connector_id, test, key)].append((event_id, received_at))
    return found
