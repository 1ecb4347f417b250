"""A rule's reactions, carried out in the transaction of the event that triggered them.

After the rules are judged (group_judge, or awards on the per-event path), each award whose rule
reacts is handled here: a `badge` is granted (once, unless repeatable: a second grant says the
member already had it), a `reward` is issued free (if available, in stock and within its
limit), a `webhook` writes a `rule.reacted` message for that endpoint. What
happened is written into the award's answer (and so into the event's trace and its result), and
each grant owes the intrinsic `EARNED_BADGE` event, written in the same transaction and
reported once it commits (pipeline/intrinsic.py), which rules can listen to in turn, up to
`MAX_DEPTH` reactions deep.

The same steps run on both write paths, in plain SQL over a RawTransaction: the group writer's
driver transaction, or a SQLAlchemy connection's (storage.driver.ConnTransaction).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from earning_rules.reactions import Reaction
from pipeline.intrinsic import kick
from pipeline.rewards import Member, issue_free
from settings import Settings
from storage import badges as badge_store
from storage import intrinsic as intrinsic_store
from storage import rewards as reward_store
from storage import webhooks as webhook_store
from storage.database import Database
from storage.driver import RawTransaction
from webhooks.messages import Message, message

log = logging.getLogger("inbound")

EARNED_BADGE = "EARNED_BADGE"
MAX_DEPTH = 5  # EARNED_BADGE → a rule grants a badge → EARNED_BADGE …: at most this deep
DEPTH_COUNTER = "depth"


@dataclass
class Reacting:
    """One award whose rule reacts: the event it belongs to, and the answer to annotate."""

    answer: dict[str, Any]  # the award in the event's result (and trace): gets "reactions"
    reactions: tuple[Reaction, ...]
    profile_id: int
    profile: dict[str, Any] | None  # {"kind", "value"} for the follow-up event
    event_id: int
    event_type: str
    depth: int  # how many reactions led to this event (0: it came from outside)
    test: bool
    at: datetime


def depth_of(event_type: str, counters: dict[str, Any]) -> int:
    """An intrinsic event that reactions caused carries how deep it is; others are 0."""
    if event_type != EARNED_BADGE:
        return 0
    try:
        return int(counters.get(DEPTH_COUNTER, 0))
    except (TypeError, ValueError):
        return 0


async def react(
    tx: RawTransaction, reacting: Sequence[Reacting], subscribed: set[tuple[str, bool]], tz: ZoneInfo
) -> int:
    """Carry out every reaction; annotate the answers. Returns how many messages were written."""
    wanted = {r.target for item in reacting for r in item.reactions if r.kind == "badge"}
    known = await badge_store.badges_by_id_raw(tx, wanted) if wanted else {}
    # The rewards are locked up front, in id order (after the members): no two writers deadlock.
    rewards = {r.target for i in reacting for r in i.reactions if r.kind == "reward"}
    stocked = await reward_store.lock_rewards(tx, rewards)
    written = 0
    for item in reacting:
        done: list[dict[str, Any]] = []
        for reaction in item.reactions:
            if reaction.kind == "badge":
                done.append(await _grant(tx, item, known.get(reaction.target), reaction.target))
            elif reaction.kind == "reward":
                done.append(await _reward(tx, item, stocked.get(reaction.target), reaction.target, tz))
            else:
                done.append(await _webhook(tx, item, reaction.target))
        item.answer["reactions"] = done
        earned = [d for d in done if d.get("granted")]
        if earned and ("badge.earned", item.test) in subscribed:
            await webhook_store.enqueue_raw(tx, [_earned_message(item, d) for d in earned])
            written += len(earned)
        written += sum(1 for d in done if d.get("messageId") or d.get("issued"))
    return written


async def _reward(
    tx: RawTransaction, item: Reacting, reward: dict[str, Any] | None, reward_id: str, tz: ZoneInfo
) -> dict[str, Any]:
    who = item.profile or {}
    member = Member(item.profile_id, str(who.get("kind")), str(who.get("value")), item.test)
    rule = (item.answer["ruleId"], item.answer["ruleVersion"])
    return await issue_free(tx, reward, reward_id, member, item.at, tz, rule=rule, event_id=item.event_id)


async def _grant(
    tx: RawTransaction, item: Reacting, badge: dict[str, Any] | None, badge_id: str
) -> dict[str, Any]:
    if badge is None:
        return {"badge": badge_id, "granted": False, "reason": f"badge {badge_id} no longer exists"}
    shown = {"badge": badge_id, "name": badge["name"]}
    if badge["status"] != "active":
        return {**shown, "granted": False, "reason": f"badge {badge['name']!r} is {badge['status']}"}
    grant_id = await badge_store.grant_raw(
        tx,
        {
            "profile_id": item.profile_id,
            "badge_id": badge_id,
            "repeatable": badge["repeatable"],
            "test": item.test,
            "granted_at": item.at,
            "source": "rule",
            "rule_id": item.answer["ruleId"],
            "rule_version": item.answer["ruleVersion"],
            "event_id": item.event_id,
            "note": None,
        },
    )
    if grant_id is None:
        return {
            **shown,
            "granted": False,
            "reason": "the member already has this badge (it is not repeatable)",
        }
    found = {**shown, "granted": True, "memberBadgeId": grant_id, "depth": item.depth + 1}
    if item.depth >= MAX_DEPTH:
        found["note"] = f"no EARNED_BADGE follows: {MAX_DEPTH} reactions deep already"
    elif item.profile and item.profile.get("value") is not None:
        who = {**found, "kind": item.profile.get("kind"), "value": item.profile["value"]}
        event = earned_badge_event(who, at=item.at)
        await intrinsic_store.owe(tx, event, test=item.test, occurred_at=item.at, now=item.at)
    return found


async def _webhook(tx: RawTransaction, item: Reacting, endpoint_id: str) -> dict[str, Any]:
    data = {
        **_event_data(item),
        "ruleId": item.answer["ruleId"],
        "ruleVersion": item.answer["ruleVersion"],
        "rule": item.answer["name"],
        "points": item.answer["points"],
        "entryId": item.answer.get("entryId"),
    }
    outgoing = message("rule.reacted", data, test=item.test, at=item.at)
    if not await webhook_store.enqueue_to_raw(tx, endpoint_id, outgoing):
        why = "no such endpoint, or it is disabled or takes the other kind of data (test or live)"
        return {"webhook": endpoint_id, "sent": False, "reason": why}
    return {"webhook": endpoint_id, "sent": True, "messageId": outgoing.message_id}


def _event_data(item: Reacting) -> dict[str, Any]:
    return {
        "eventId": item.event_id,
        "eventType": item.event_type,
        "profile": {"id": item.profile_id, **(item.profile or {})},
        "test": item.test,
    }


def _earned_message(item: Reacting, done: dict[str, Any]) -> Message:
    data = {
        **_event_data(item),
        "badge": done["badge"],
        "badgeName": done["name"],
        "memberBadgeId": done["memberBadgeId"],
        "ruleId": item.answer["ruleId"],
        "ruleVersion": item.answer["ruleVersion"],
    }
    return message("badge.earned", data, test=item.test, at=item.at)


# --- after the commit ------------------------------------------------------------------------


def owes(results: Sequence[dict[str, Any]]) -> bool:
    """Whether these committed results owe an intrinsic event (a badge granted)."""
    return any(
        done.get("granted") and "note" not in done
        for result in results
        for award in result.get("awards") or []
        for done in award.get("reactions") or []
    )


def earned_badge_event(done: dict[str, Any], *, at: datetime) -> dict[str, Any]:
    """The intrinsic event of one grant, as POST /events would take it."""
    return {
        "type": EARNED_BADGE,
        "subject": {"kind": done["kind"], "value": done["value"]},
        "occurredAt": at.isoformat(),
        "payload": {
            # memberBadgeId: two grants of a repeatable badge are two events, not duplicates
            "tags": {
                "badge": done["badge"],
                "badgeName": done["name"],
                "memberBadgeId": str(done["memberBadgeId"]),
            },
            "counters": {DEPTH_COUNTER: done["depth"]},
        },
    }


def follow_up(db: Database, settings: Settings, results: Sequence[dict[str, Any]]) -> None:
    """After a commit: report the intrinsic events its results owe (pipeline/intrinsic.py)."""
    if owes(results):
        kick(db, settings)
