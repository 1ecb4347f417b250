"""The expiry pass: points past their expiry become `expiry` entries; rewards past their validDays
become `expired`. In each serving process every `INBOUND_EXPIRY_INTERVAL_SECONDS`, and on demand
(`inbound expire`, `POST /api/expiry/run`).

Each member is one short transaction under the member's lock (the one events and purchases take):
the lots are worked out from the ledger there (expiry/lots.py), so the pass is idempotent and two
passes at once (two processes) expire nothing twice. One entry per expiry instant, dated then
(`occurredAt`), with a `points.expired` message; the intrinsic POINTS_EXPIRED event follows once
the member's transaction has committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from expiry.policy import Policy, policy_from_stored
from pipeline import rewards as reward_flows
from pipeline.intrinsic import report_owed
from pipeline.ledger_check import lots_of
from settings import Settings
from storage import expiry as store
from storage import intrinsic as intrinsic_store
from storage import ledger
from storage import rewards as reward_store
from storage import webhooks as webhook_store
from storage.database import Database
from storage.driver import ConnTransaction
from storage.rewards import lock_member
from webhooks.messages import message

log = logging.getLogger("inbound.expiry")

POINTS_EXPIRED = "POINTS_EXPIRED"
BATCH = 200


@dataclass
class Expired:
    members: int = 0
    entries: int = 0
    points: int = 0
    rewards: int = 0
    owed: list[int] = field(default_factory=list)  # the POINTS_EXPIRED events it owes

    def to_json(self) -> dict[str, Any]:
        return {
            "members": self.members,
            "entries": self.entries,
            "points": self.points,
            "rewards": self.rewards,
        }


async def load_policy(db: Database) -> Policy:
    async with db.read() as conn:
        return policy_from_stored(await store.get_policy(conn))


def clock() -> datetime:
    """Now: the one place the pass reads the time (tests move it)."""
    return datetime.now(UTC)


async def _holders(db: Database, earned_before: datetime | None) -> AsyncIterator[tuple[int, bool]]:
    """(member, test) of everyone holding points earned before `earned_before`, a batch per read."""
    after = (0, False)
    while earned_before is not None:
        async with db.read() as conn:
            holders = await store.holders_of_old_points(conn, earned_before, after=after, limit=BATCH)
        for holder in holders:
            yield holder
        if len(holders) < BATCH:
            return
        after = holders[-1]


async def expire(db: Database, settings: Settings, now: datetime | None = None) -> Expired:
    """One pass, as of `now`."""
    now = now or clock()
    done = Expired()
    policy = await load_policy(db)
    async for profile_id, test in _holders(db, policy.earned_before(now, settings.tz)):
        await _expire_member(db, settings, policy, profile_id, test, now, done)
    await _expire_rewards(db, now, done)
    if done.owed:
        await report_owed(db, settings, done.owed)
    return done


async def preview(db: Database, settings: Settings, now: datetime | None = None) -> Expired:
    """What a pass would expire as of `now`, writing nothing: the same members, lots and rewards
    the pass reads, without its locks (a pass running meanwhile may take some first)."""
    now = now or clock()
    done = Expired()
    policy = await load_policy(db)
    async for profile_id, test in _holders(db, policy.earned_before(now, settings.tz)):
        async with db.read() as conn:
            lots = await lots_of(ConnTransaction(conn), profile_id, test, policy, settings.tz)
        due = lots.expired_by(now)
        if due:
            done.members += 1
            done.entries += len(due)
            done.points += sum(due.values())
    async with db.read() as conn:
        done.rewards = await reward_store.count_due_to_expire(conn, now)
    return done


async def _expire_member(
    db: Database,
    settings: Settings,
    policy: Policy,
    profile_id: int,
    test: bool,
    now: datetime,
    done: Expired,
) -> None:
    async with db.write() as conn:
        tx = ConnTransaction(conn)
        if not await lock_member(tx, profile_id):
            return
        due = (await lots_of(tx, profile_id, test, policy, settings.tz)).expired_by(now)
        if not due:
            return
        identity = await store.identity_of(tx, profile_id)
        total = 0
        for instant, points in due.items():
            entry_id = await ledger.add_entry_raw(
                tx,
                {
                    "profile_id": profile_id,
                    "points": -points,
                    "kind": "expiry",
                    "test": test,
                    "reason": f"expired: {policy.describe()}",
                    "occurred_at": instant,
                    "created_at": now,
                },
            )
            total += points
            done.entries += 1
            data = {
                "profile": {"id": profile_id, "kind": identity[0] if identity else None,
                            "value": identity[1] if identity else None},
                "entryId": entry_id, "points": points, "expiredAt": instant.isoformat(), "test": test,
            }  # fmt: skip
            await webhook_store.enqueue_raw(tx, [message("points.expired", data, test=test, at=now)])
        done.members += 1
        done.points += total
        if identity is not None:
            event = {
                "type": POINTS_EXPIRED,
                "subject": {"kind": identity[0], "value": identity[1]},
                "occurredAt": now.isoformat(),
                "payload": {"tags": {}, "counters": {"points": total}},
            }
            done.owed.append(await intrinsic_store.owe(tx, event, test=test, occurred_at=now, now=now))


async def _expire_rewards(db: Database, now: datetime, done: Expired) -> None:
    while True:
        async with db.read() as conn:
            due = await reward_store.due_to_expire(conn, now, BATCH)
        for issued_id in due:
            async with db.write() as conn:
                if await reward_flows.expire(ConnTransaction(conn), issued_id, now):
                    done.rewards += 1
        if len(due) < BATCH:
            return


async def run_forever(db: Database, settings: Settings) -> None:
    """The scheduled pass; a failure is logged and tried again at the next one."""
    if settings.expiry_interval_seconds <= 0:
        return
    while True:
        await asyncio.sleep(settings.expiry_interval_seconds)
        try:
            done = await expire(db, settings)
            if done.entries or done.rewards:
                log.info("expiry pass: %s", done.to_json())
        except Exception:
            log.exception("the expiry pass failed; it runs again in %d s", settings.expiry_interval_seconds)
