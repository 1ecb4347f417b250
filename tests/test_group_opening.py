"""A group's opening (storage/group_opening.py): its ids, locks and reads, on the real databases.

On PostgreSQL the opening is one call of `inbound_open_group` (migration 0026). What matters is
that each read there follows its lock: a writer that waited for an idempotency key or a member
must see what the holder committed, or an event would be awarded twice or answered with a stale
balance. These hold a lock in one transaction, open a group in another, and commit the first.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.driver import RawConnection, RawTransaction
from storage.group_opening import Opening, open_group
from storage.group_state import NewProfile, create_profiles
from storage.group_writes import insert_claims, move_balances
from tests.conftest import BACKENDS, _fresh_database_url

NOW = datetime(2026, 12, 8, 9, tzinfo=UTC)
ANN = ("default", "ann@example.com")
BOB = ("default", "bob@example.com")
KEY = ("con_open", False, "order-1")


async def _open(tx: RawTransaction, **wanted: object) -> Opening:
    args: dict[str, object] = {
        "events": 2,
        "entries": 3,
        "test_connectors": (),
        "keys": {KEY},
        "identities": {ANN, BOB},
    }
    return await open_group(tx, **{**args, **wanted})  # type: ignore[arg-type]


async def _member(tx: RawTransaction, identity: tuple[str, str]) -> int:
    created = await create_profiles(tx, [NewProfile(*identity, False, "con_open", NOW)])
    return created[identity]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    found, cleanup = _fresh_database_url(request.param, tmp_path)
    yield found
    cleanup()  # type: ignore[operator]


def test_the_opening_gives_ids_members_claims_and_balances(url: str) -> None:
    async def scenario() -> tuple[Opening, Opening, int]:
        raw = RawConnection(url)
        try:
            async with raw.transaction() as tx:
                ann = await _member(tx, ANN)
                await move_balances(tx, {(ann, False): (40, 40), (ann, True): (7, 7)}, NOW)
                await insert_claims(tx, [(*KEY, 99)])
            async with raw.transaction() as tx:
                first = await _open(tx)
            async with raw.transaction() as tx:
                second = await _open(tx, keys=set(), identities=set(), events=1, entries=0)
            return first, second, ann
        finally:
            await raw.close()

    first, second, ann = asyncio.run(scenario())
    assert len(first.event_ids) == 2 and len(set(first.event_ids)) == 2
    assert len(first.entry_ids) == 3 and len(set(first.entry_ids)) == 3
    if url.startswith("postgresql"):  # sequences: never handed out twice (SQLite's single writer
        assert min(second.event_ids) > max(first.event_ids)  # reuses ids no row ever held)
    assert {i: p.id for i, p in first.found.items()} == {ANN: ann}  # Bob is not a member yet
    assert first.claimed == {KEY: 99}
    assert {k: v for k, v in first.balances.items() if v} == {(ann, False): 40, (ann, True): 7}
    assert (second.found, second.claimed, second.entry_ids) == ({}, {}, [])


def test_a_writer_that_waited_for_a_key_and_a_member_sees_what_the_holder_committed(tmp_path: Path) -> None:
    url, cleanup = _fresh_database_url("postgresql", tmp_path)

    async def scenario() -> tuple[bool, Opening, int]:
        holder, waiter = RawConnection(url), RawConnection(url)
        try:
            async with holder.transaction() as tx:
                ann = await _member(tx, ANN)
            async with holder.transaction() as tx:
                await _open(tx)  # holds the key and Ann
                waiting = asyncio.create_task(_opened_by(waiter))
                await asyncio.sleep(0.3)
                blocked = not waiting.done()
                await insert_claims(tx, [(*KEY, 123)])
                await move_balances(tx, {(ann, False): (25, 25)}, NOW)
            return blocked, await asyncio.wait_for(waiting, 10), ann
        finally:
            await holder.close()
            await waiter.close()

    try:
        blocked, seen, ann = asyncio.run(scenario())
    finally:
        cleanup()  # type: ignore[operator]
    assert blocked, "the second opening did not wait for the locks"
    assert seen.claimed == {KEY: 123}
    assert seen.balances[(ann, False)] == 25


def test_a_member_merged_while_a_writer_waited_is_found_as_the_member_it_became(tmp_path: Path) -> None:
    url, cleanup = _fresh_database_url("postgresql", tmp_path)

    async def scenario() -> tuple[Opening, int]:
        holder, waiter = RawConnection(url), RawConnection(url)
        try:
            async with holder.transaction() as tx:
                ann, bob = await _member(tx, ANN), await _member(tx, BOB)
                await move_balances(tx, {(bob, False): (60, 60)}, NOW)
            async with holder.transaction() as tx:
                await _open(tx, identities={ANN}, keys=set())  # holds Ann
                waiting = asyncio.create_task(_opened_by(waiter, identities={ANN}, keys=set()))
                await asyncio.sleep(0.3)
                await tx.fetch("UPDATE profiles SET merged_into = ? WHERE id = ?", (bob, ann))
            return await asyncio.wait_for(waiting, 10), bob
        finally:
            await holder.close()
            await waiter.close()

    try:
        seen, bob = asyncio.run(scenario())
    finally:
        cleanup()  # type: ignore[operator]
    assert {i: p.id for i, p in seen.found.items()} == {ANN: bob}
    assert seen.balances[(bob, False)] == 60


async def _opened_by(raw: RawConnection, **wanted: object) -> Opening:
    async with raw.transaction() as tx:
        return await _open(tx, **wanted)
