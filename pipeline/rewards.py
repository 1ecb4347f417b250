"""Rewards in one transaction each: a purchase spends the points and issues the reward; a rule's
`reward` reaction issues it free; a cancellation gives the points (and the stock) back; a
redemption marks it used; an expiry pass ends the ones past their `validDays`.

Every step takes the member's lock, then the reward's (storage/rewards.py): two purchases at
once can never overdraw a balance or sell the last one twice. Messages (`reward.purchased`,
`reward.issued`, `reward.cancelled`) go to the outbox in the same transaction; the intrinsic
PURCHASED_REWARD event follows a purchase once it has committed (api/rewards.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from errors import Conflict, NotFound
from rewards.catalog import Refusal, limit_window, refusal
from storage import intrinsic as intrinsic_store
from storage import ledger
from storage import rewards as store
from storage import webhooks as webhook_store
from storage.driver import RawTransaction
from webhooks.messages import Message, message

PURCHASED_REWARD = "PURCHASED_REWARD"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a counter


class RewardRefused(Conflict):
    """409 with the reason: unavailable, out of stock, limit reached, not enough points."""


@dataclass(frozen=True)
class Member:
    id: int
    kind: str
    value: str
    test: bool

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "value": self.value}


def new_code() -> str:
    return "RW-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def _history(row: dict[str, Any] | None, status: str, at: datetime, note: str | None) -> list[dict[str, Any]]:
    earlier = list(row["history"]) if row else []
    return [*earlier, {"status": status, "at": at.isoformat(), "note": note}]


def issued_json(row: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "reward": row["reward_id"],
        "name": name or row.get("name"),
        "code": row["code"],
        "status": row["status"],
        "source": row["source"],
        "cost": row["cost"],
        "spendEntryId": row["spend_entry_id"],
        "refundEntryId": row["refund_entry_id"],
        "ruleId": row["rule_id"],
        "ruleVersion": row["rule_version"],
        "eventId": row["event_id"],
        "issuedAt": row["issued_at"],
        "expiresAt": row["expires_at"],
        "history": row["history"],
        "test": bool(row["test"]),
        "memberId": row["profile_id"],
    }


async def _refusal(
    tx: RawTransaction, reward: dict[str, Any], member: Member, at: datetime, tz: ZoneInfo, *, paying: bool
) -> Refusal | None:
    start, end = limit_window(reward, at, tz)
    used = (
        await store.held_by(tx, reward["id"], member.id, member.test, start, end)
        if reward["limit_max"]
        else 0
    )
    points = await store.balance(tx, member.id, member.test) if paying else None
    return refusal(reward, at=at, used=used, balance=points, member=f"member {member.id}")


async def _issue(
    tx: RawTransaction,
    reward: dict[str, Any],
    member: Member,
    at: datetime,
    *,
    source: str,
    spend_entry_id: int | None = None,
    rule: tuple[str, int] | None = None,
    event_id: int | None = None,
) -> dict[str, Any]:
    await store.take_one(tx, reward["id"])
    row = {
        "reward_id": reward["id"], "profile_id": member.id, "test": member.test, "code": new_code(),
        "status": "issued", "source": source, "cost": reward["cost"] if source == "purchase" else 0,
        "spend_entry_id": spend_entry_id, "refund_entry_id": None,
        "rule_id": rule[0] if rule else None, "rule_version": rule[1] if rule else None, "event_id": event_id,
        "issued_at": at, "updated_at": at,
        "expires_at": at + timedelta(days=reward["valid_days"]) if reward["valid_days"] else None,
        "history": _history(None, "issued", at, "bought" if source == "purchase" else "a rule's reaction"),
    }  # fmt: skip
    row["id"] = await store.insert_issued(tx, row)
    return row


def _reward_message(
    kind: str, row: dict[str, Any], reward: dict[str, Any], member: Member, at: datetime
) -> Message:
    data = {**issued_json(row, reward["name"]), "profile": member.json()}
    return message(kind, data, test=member.test, at=at)


async def purchase(
    tx: RawTransaction, reward_id: str, member: Member, at: datetime, tz: ZoneInfo
) -> dict[str, Any]:
    """Spend the points and issue the reward, or raise RewardRefused (nothing written)."""
    if not await store.lock_member(tx, member.id):
        raise NotFound(f"no member {member.id}", code="unknown_member")
    reward = (await store.lock_rewards(tx, [reward_id])).get(reward_id)
    if reward is None:
        raise NotFound(f"no reward {reward_id!r}; GET /api/rewards lists them", code="unknown_reward")
    refused = await _refusal(tx, reward, member, at, tz, paying=True)
    if refused is not None:
        raise RewardRefused(refused.message, code=refused.code)
    spend = None
    if reward["cost"]:
        spend = await ledger.add_entry_raw(
            tx,
            {
                "profile_id": member.id,
                "points": -reward["cost"],
                "kind": "purchase",
                "reason": f"bought reward {reward['name']}",
                "test": member.test,
                "occurred_at": at,
                "created_at": at,
            },
        )
    row = await _issue(tx, reward, member, at, source="purchase", spend_entry_id=spend)
    await webhook_store.enqueue_raw(tx, [_reward_message("reward.purchased", row, reward, member, at)])
    owed = await intrinsic_store.owe(
        tx, purchased_event(row, reward, member, at), test=member.test, occurred_at=at, now=at
    )
    return {**row, "name": reward["name"], "owed": owed}


def purchased_event(
    row: dict[str, Any], reward: dict[str, Any], member: Member, at: datetime
) -> dict[str, Any]:
    """PURCHASED_REWARD, as POST /events would take it: rules listen to it."""
    return {
        "type": PURCHASED_REWARD,
        "subject": {"kind": member.kind, "value": member.value},
        "occurredAt": at.isoformat(),
        "payload": {
            "tags": {"reward": reward["id"], "rewardName": reward["name"], "issuedRewardId": str(row["id"])},
            "counters": {"cost": row["cost"]},
        },
    }


async def issue_free(
    tx: RawTransaction,
    reward: dict[str, Any] | None,
    reward_id: str,
    member: Member,
    at: datetime,
    tz: ZoneInfo,
    *,
    rule: tuple[str, int],
    event_id: int,
) -> dict[str, Any]:
    """A rule's reaction: the reward at no cost, if the member may have it. What happened, for the
    award's answer (the reward must be locked already: `store.lock_rewards`)."""
    if reward is None:
        return {"reward": reward_id, "issued": False, "reason": f"reward {reward_id} no longer exists"}
    shown = {"reward": reward_id, "name": reward["name"]}
    refused = await _refusal(tx, reward, member, at, tz, paying=False)
    if refused is not None:
        return {**shown, "issued": False, "reason": refused.message}
    row = await _issue(tx, reward, member, at, source="rule", rule=rule, event_id=event_id)
    reward["stock"] = None if reward["stock"] is None else reward["stock"] - 1  # as locked, now one fewer
    await webhook_store.enqueue_raw(tx, [_reward_message("reward.issued", row, reward, member, at)])
    return {**shown, "issued": True, "issuedRewardId": row["id"], "code": row["code"]}


async def _locked_issued(tx: RawTransaction, issued_id: int) -> dict[str, Any]:
    found = await store.lock_issued(tx, issued_id)
    if found is None:
        raise NotFound(f"no issued reward {issued_id}", code="unknown_issued_reward")
    if not await store.lock_member(tx, found["profile_id"]):  # the member first, as everyone
        raise NotFound(f"no member {found['profile_id']}", code="unknown_member")
    return found


def _refuse_change(row: dict[str, Any], wanted: str) -> None:
    if row["status"] != "issued":
        raise Conflict(
            f"issued reward {row['id']} is {row['status']}: only an issued reward can be {wanted}",
            code="reward_not_issued",
        )


async def cancel(
    tx: RawTransaction, issued_id: int, at: datetime, note: str | None, member: Member
) -> dict[str, Any]:
    """Cancelled: the points it cost come back (a `refund` entry) and so does its unit of stock."""
    row = await _locked_issued(tx, issued_id)
    _refuse_change(row, "cancelled")
    reward = (await store.lock_rewards(tx, [row["reward_id"]]))[row["reward_id"]]
    refund = None
    if row["cost"]:
        refund = await ledger.add_entry_raw(
            tx,
            {
                "profile_id": row["profile_id"],
                "points": row["cost"],
                "kind": "refund",
                "reason": f"cancelled reward {reward['name']} ({row['code']})",
                "test": row["test"],
                "occurred_at": at,
                "created_at": at,
            },
        )
    await store.take_one(tx, row["reward_id"], back=True)
    values = {"status": "cancelled", "refund_entry_id": refund, "updated_at": at,
              "history": _history(row, "cancelled", at, note)}  # fmt: skip
    await store.settle_issued(tx, issued_id, values)
    done = {**row, **values}
    await webhook_store.enqueue_raw(tx, [_reward_message("reward.cancelled", done, reward, member, at)])
    return {**done, "name": reward["name"]}


async def redeem(tx: RawTransaction, issued_id: int, at: datetime, note: str | None) -> dict[str, Any]:
    row = await _locked_issued(tx, issued_id)
    _refuse_change(row, "redeemed")
    values = {"status": "redeemed", "updated_at": at, "history": _history(row, "redeemed", at, note)}
    await store.settle_issued(tx, issued_id, values)
    return {**row, **values}


async def expire(tx: RawTransaction, issued_id: int, at: datetime) -> bool:
    """Past its validDays and still unused: expired (no refund). False if it changed meanwhile."""
    row = await store.lock_issued(tx, issued_id)
    if row is None or row["status"] != "issued" or row["expires_at"] is None or row["expires_at"] > at:
        return False
    values = {
        "status": "expired",
        "updated_at": at,
        "history": _history(row, "expired", at, "past its validDays"),
    }
    await store.settle_issued(tx, issued_id, values)
    return True
