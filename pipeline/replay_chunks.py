"""Cut a replay preview into chunks that cannot affect each other, so each runs in a short transaction.

A preview is rolled back, so a raw event replayed in one chunk never sees what an earlier chunk
wrote. That gives the same answer as one long transaction only if raw events of different chunks
are independent. Raw events interact through what they share:

- a profile: limits, balances, duplicate detection and profile creation are per profile; the
  profile a raw event maps to now (by identity, so two events creating one new profile meet)
  and every profile its chain holds points on;
- a `clientEventId`: the idempotency claim, the one its chain's rows hold, and one a refund
  reverses;
- a rule limited `for the whole rule` (scope `rule`): every event it judges counts against it;
  when an active rule that listens to this connector has one, every raw event that reaches the
  rules is in one group;
- a refund (`reverses`): it writes on the profile of the event it reverses, found only then;
  raw events with one are in that same single group too.

Raw events that share something are in one group (union-find); groups are packed, in order,
into chunks of about `size` raw events. A group is never split, so a large one is a large chunk.
Everything here only reads.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import replace

import anyio.to_thread

from mapping import MappedEvent
from mapping.identity import normalise_identity
from pipeline.context import RunContext, WorkItem
from pipeline.receive import _map_all
from storage import entries as entry_store
from storage import events as event_store
from storage.database import Connection
from storage.profiles import ids_of_identities
from storage.replays import RawEvent

_EVERYTHING: Hashable = ("rules limited for the whole rule, or refunds",)
_PARAMS = 500  # rows per IN (...) list: well under SQLite's and asyncpg's parameter limits


def _mapped(ctx: RunContext, raws: Sequence[RawEvent]) -> list[list[WorkItem]]:
    out = []
    for raw in raws:
        request = replace(ctx.request, headers=raw.headers, query=raw.query, path=raw.path)
        out.append(_map_all(ctx.snapshot, request, [raw.raw]))
    return out


def _whole_rule_limits(ctx: RunContext) -> bool:
    """Whether a rule that judges this connector's events is limited for the whole rule."""
    return any(
        limit.scope == "rule"
        for rule in ctx.rules
        if rule.definition.source.accepts(ctx.snapshot.id, ctx.event_type)
        for limit in rule.definition.limits
    )


async def _chain_keys(conn: Connection, connector_id: str, raws: Sequence[RawEvent]) -> list[set[Hashable]]:
    """Per raw event: the profiles its chains' rows and entries name, and their clientEventIds."""
    position = {(r.request_id, r.index): i for i, r in enumerate(raws)}
    keys: list[set[Hashable]] = [set() for _ in raws]
    pairs = list(position)
    for start in range(0, len(pairs), _PARAMS):
        rows = await event_store.events_of_raw_events(conn, connector_id, pairs[start : start + _PARAMS])
        owner = {int(r["id"]): position[(r["request_id"], int(r["index"]))] for r in rows}
        for r in rows:
            if r["profile_id"] is not None:
                keys[owner[int(r["id"])]].add(("profile", int(r["profile_id"])))
            if r["client_event_id"] is not None:
                keys[owner[int(r["id"])]].add(("client", r["client_event_id"]))
        ids = sorted(owner)
        for at in range(0, len(ids), _PARAMS):
            for entry in await entry_store.entries_of_events(conn, ids[at : at + _PARAMS]):
                keys[owner[int(entry["event_id"])]].add(("profile", int(entry["profile_id"])))
    return keys


async def _profile_ids(conn: Connection, identities: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    wanted = sorted(identities)
    out: dict[tuple[str, str], int] = {}
    for start in range(0, len(wanted), _PARAMS):
        out.update(await ids_of_identities(conn, wanted[start : start + _PARAMS]))
    return out


def _mapped_keys(mapped: MappedEvent) -> tuple[set[Hashable], tuple[str, str] | None]:
    keys: set[Hashable] = set()
    if mapped.client_event_id is not None:
        keys.add(("client", mapped.client_event_id))
    if mapped.reverses is not None:
        keys.add(_EVERYTHING)
    identity = None
    if mapped.profile_value and mapped.profile_value.strip():
        identity = normalise_identity(mapped.profile_kind, mapped.profile_value)
        keys.add(("identity", *identity))
    return keys, identity


async def plan_chunks(
    conn: Connection, ctx: RunContext, raws: Sequence[RawEvent], size: int
) -> list[list[int]]:
    """Positions in `raws`, as chunks of independent groups, each chunk in the original order."""
    items = await anyio.to_thread.run_sync(_mapped, ctx, raws)
    keys = await _chain_keys(conn, ctx.snapshot.id, raws)
    identities: list[set[tuple[str, str]]] = [set() for _ in raws]
    whole_rule = _whole_rule_limits(ctx)
    for i, raw_items in enumerate(items):
        for item in raw_items:
            if item.mapped is None:
                continue
            more, identity = _mapped_keys(item.mapped)
            keys[i] |= more
            if identity is not None:
                identities[i].add(identity)
        holds_points = any(isinstance(k, tuple) and k[0] == "profile" for k in keys[i])
        if whole_rule and (identities[i] or holds_points):
            keys[i].add(_EVERYTHING)  # it reaches the rules, or its chain holds points they may move
    known = await _profile_ids(conn, set().union(*identities)) if raws else {}
    for i, found in enumerate(identities):
        keys[i] |= {("profile", known[identity]) for identity in found if identity in known}
    return _pack(_groups(keys), size)


def _groups(keys: list[set[Hashable]]) -> list[list[int]]:
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    holder: dict[Hashable, int] = {}
    for i, mine in enumerate(keys):
        for key in mine:
            if key in holder:
                a, b = root(holder[key]), root(i)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                holder[key] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(keys)):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def _pack(groups: list[list[int]], size: int) -> list[list[int]]:
    chunks: list[list[int]] = []
    current: list[int] = []
    for group in groups:
        if current and len(current) + len(group) > size:
            chunks.append(sorted(current))
            current = []
        current.extend(group)
    if current:
        chunks.append(sorted(current))
    return chunks
