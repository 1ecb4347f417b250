"""Badges in the admin API: define them (marketers), see and grant a member's badges.

A grant by hand is written like a rule's (storage/badges.py: once, unless repeatable), with the
`badge.earned` message in its transaction, and followed by the intrinsic EARNED_BADGE event.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.http import JSON, bool_param, db_of, path_id, read_json, settings_of
from api.members import active_member
from api.models.badges import BadgeGrantInput, BadgeInput, BadgePatch
from api.models.base import every, sent
from api.validation import read_input
from earning_rules.validate import show
from errors import Conflict, InvalidInput, NotFound
from pipeline.intrinsic import report_owed
from pipeline.reactions import EARNED_BADGE, earned_badge_event
from pipeline.webhook_delivery import wake
from storage import badges as store
from storage import intrinsic as intrinsic_store
from storage import webhooks as webhook_store
from storage.driver import ConnTransaction
from webhooks.messages import message


def badge_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "imageUrl": row["image_url"],
        "repeatable": bool(row["repeatable"]),
        "status": row["status"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        **({"holders": row["holders"], "granted": row["granted"]} if "holders" in row else {}),
    }


def grant_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "badge": row["badge_id"],
        "name": row.get("name"),
        "imageUrl": row.get("image_url"),
        "grantedAt": row["granted_at"],
        "source": row["source"],
        "ruleId": row["rule_id"],
        "ruleVersion": row["rule_version"],
        "eventId": row["event_id"],
        "note": row["note"],
        "test": bool(row["test"]),
    }


def _bad(field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{field}: {problem}", code="invalid_badge")


def _taken(name: str) -> Conflict:
    return Conflict(f"name: a badge is already called {name!r}; pick another name", code="badge_name_taken")


async def _badge_or_404(conn: Any, badge_id: str) -> dict[str, Any]:
    row = await store.get_badge(conn, badge_id)
    if row is None:
        raise NotFound(f"no badge {badge_id!r}; GET /api/badges lists them", code="unknown_badge")
    return row


async def list_badges(request: Request) -> Response:
    async with db_of(request).read() as conn:
        rows = await store.list_badges(conn)
    return JSON({"items": [badge_json(r) for r in rows]})


async def create_badge(request: Request) -> Response:
    values = every(read_input(BadgeInput, await read_json(request), code="invalid_badge"))
    now = datetime.now(UTC)
    row = {
        "id": "bdg_" + secrets.token_hex(6),
        **values,
        "created_at": now,
        "updated_at": now,
    }
    async with db_of(request).write() as conn:
        if not await store.insert_badge(conn, row):
            raise _taken(row["name"])
    return JSON(badge_json(row), status_code=201)


async def get_badge(request: Request) -> Response:
    async with db_of(request).read() as conn:
        row = await _badge_or_404(conn, request.path_params["badge_id"])
    return JSON(badge_json(row))


async def update_badge(request: Request) -> Response:
    values = sent(read_input(BadgePatch, await read_json(request), code="invalid_badge"))
    badge_id = request.path_params["badge_id"]
    async with db_of(request).write() as conn:
        await _badge_or_404(conn, badge_id)
        if "name" in values and await store.name_taken(conn, values["name"], other_than=badge_id):
            raise _taken(values["name"])
        await store.update_badge(conn, badge_id, {**values, "updated_at": datetime.now(UTC)})
        row = await _badge_or_404(conn, badge_id)
    return JSON(badge_json(row))


def _member_id(request: Request) -> int:
    return path_id(request, "member_id", "member", code="unknown_member")


async def member_badges(request: Request) -> Response:
    """The member's badges, newest first (`?test=true`: those earned with test data)."""
    member_id = _member_id(request)
    test = bool(bool_param(request, "test"))
    async with db_of(request).read() as conn:
        await active_member(conn, member_id)
        rows = await store.badges_of_member(conn, member_id, test=test)
    return JSON({"items": [grant_json(r) for r in rows]})


async def grant_badge(request: Request) -> Response:
    """Grant a badge by hand: {"badge": "bdg_…", "note": "won the quiz", "test": false}."""
    member_id = _member_id(request)
    grant = read_input(BadgeGrantInput, await read_json(request), code="invalid_badge")
    badge_id, note, test = grant.badge, grant.note, grant.test
    now = datetime.now(UTC)
    db = db_of(request)
    async with db.write() as conn:
        member = await active_member(conn, member_id)
        badge = await store.get_badge(conn, badge_id)
        if badge is None:
            raise _bad("badge", f"{show(badge_id)} is not a badge (GET /api/badges lists them)")
        if badge["status"] != "active":
            raise Conflict(
                f"badge {badge['name']!r} is {badge['status']}: it cannot be granted", code="badge_archived"
            )
        row = {
            "profile_id": member_id, "badge_id": badge_id, "repeatable": badge["repeatable"], "test": test,
            "granted_at": now, "source": "manual", "rule_id": None, "rule_version": None, "event_id": None,
            "note": note,
        }  # fmt: skip
        tx = ConnTransaction(conn)
        grant_id = await store.grant_raw(tx, row)
        if grant_id is None:
            when = await store.earlier_grant(conn, member_id, badge_id, test)
            raise Conflict(
                f"member {member_id} already has badge {badge['name']!r} (since {when}), "
                "which is not repeatable",
                code="badge_already_earned",
            )
        who = {"id": member_id, "kind": member["kind"], "value": member["value"]}
        data = {"memberBadgeId": grant_id, "badge": badge_id, "badgeName": badge["name"], "profile": who,
                "source": "manual", "note": note, "test": test}  # fmt: skip
        await webhook_store.enqueue_raw(tx, [message("badge.earned", data, test=test, at=now)])
        earned = {"badge": badge_id, "name": badge["name"], "memberBadgeId": grant_id, "depth": 1,
                  "kind": member["kind"], "value": member["value"]}  # fmt: skip
        owed = await intrinsic_store.owe(
            tx, earned_badge_event(earned, at=now), test=test, occurred_at=now, now=now
        )
    wake(db)
    followed = (await report_owed(db, settings_of(request), [owed])).get(owed)
    answer = {
        **grant_json({**row, "id": grant_id, "name": badge["name"], "image_url": badge["image_url"]}),
        "followedBy": _followed(followed),
    }
    return JSON(answer, status_code=201)


def _followed(done: dict[str, Any] | None) -> dict[str, Any] | None:
    """The intrinsic event reported after the commit (None: the sweep reports it shortly)."""
    if done is None:
        return None
    result = done["result"]
    return {"type": EARNED_BADGE, "requestId": done["requestId"], "eventId": result.get("eventId"),
            "status": result["status"], "awards": result.get("awards", [])}  # fmt: skip


ROUTES = [
    Route("/api/badges", list_badges, methods=["GET"]),
    Route("/api/badges", create_badge, methods=["POST"]),
    Route("/api/badges/{badge_id}", get_badge, methods=["GET"]),
    Route("/api/badges/{badge_id}", update_badge, methods=["PATCH"]),
    Route("/api/members/{member_id}/badges", member_badges, methods=["GET"]),
    Route("/api/members/{member_id}/badges", grant_badge, methods=["POST"]),
]
