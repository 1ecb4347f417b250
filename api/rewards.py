"""Rewards in the admin API: the catalog (marketers), a member's rewards, purchases with points,
and what happens to an issued reward after (cancel with a refund, redeem).

A purchase is one transaction (pipeline/rewards.py): the points are spent and the reward issued
together, or nothing is written and the answer is a 409 with the reason. The intrinsic
PURCHASED_REWARD event follows once it has committed.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.http import (
    JSON,
    bool_param,
    choice_param,
    db_of,
    path_id,
    read_json,
    read_json_or_empty,
    settings_of,
)
from api.members import active_member
from api.models.base import every, sent
from api.models.rewards import IssuedRewardNote, PurchaseInput, RewardInput, RewardPatch, reward_columns
from api.validation import read_input
from errors import Conflict, InvalidInput, NotFound
from pipeline import rewards as flows
from pipeline.intrinsic import report_owed
from pipeline.webhook_delivery import wake
from rewards.catalog import STATUSES, reward_json
from storage import rewards as store
from storage.driver import ConnTransaction


def _taken(name: str) -> Conflict:
    return Conflict(f"name: a reward is already called {name!r}; pick another name", code="reward_name_taken")


async def _reward_or_404(conn: Any, reward_id: str) -> dict[str, Any]:
    row = await store.get_reward(conn, reward_id)
    if row is None:
        raise NotFound(f"no reward {reward_id!r}; GET /api/rewards lists them", code="unknown_reward")
    return row


async def list_rewards(request: Request) -> Response:
    """The catalog: `?status=active|paused|archived`."""
    status = choice_param(request, "status", STATUSES)
    async with db_of(request).read() as conn:
        rows = await store.list_rewards(conn, status=status)
    return JSON({"items": [reward_json(r) for r in rows]})


async def create_reward(request: Request) -> Response:
    values = reward_columns(every(read_input(RewardInput, await read_json(request), code="invalid_reward")))
    now = datetime.now(UTC)
    row = {
        "id": "rwd_" + secrets.token_hex(6), "issued": 0, **values, "created_at": now, "updated_at": now,
    }  # fmt: skip
    async with db_of(request).write() as conn:
        if not await store.insert_reward(conn, row):
            raise _taken(row["name"])
    return JSON(reward_json(row), status_code=201)


async def get_reward(request: Request) -> Response:
    async with db_of(request).read() as conn:
        row = await _reward_or_404(conn, request.path_params["reward_id"])
    return JSON(reward_json(row))


async def update_reward(request: Request) -> Response:
    values = reward_columns(sent(read_input(RewardPatch, await read_json(request), code="invalid_reward")))
    reward_id = request.path_params["reward_id"]
    async with db_of(request).write() as conn:
        before = await _reward_or_404(conn, reward_id)
        merged = {**before, **values}
        start, end = merged["available_from"], merged["available_until"]
        if start is not None and end is not None and end <= start:
            raise InvalidInput("availableUntil: must be after availableFrom", code="invalid_reward")
        if "name" in values and await store.name_taken(conn, values["name"], other_than=reward_id):
            raise _taken(values["name"])
        await store.update_reward(conn, reward_id, {**values, "updated_at": datetime.now(UTC)})
        row = await _reward_or_404(conn, reward_id)
    return JSON(reward_json(row))


def _member_id(request: Request) -> int:
    return path_id(request, "member_id", "member", code="unknown_member")


async def _member(conn: Any, member_id: int, test: bool) -> flows.Member:
    row = await active_member(conn, member_id)
    return flows.Member(member_id, row["kind"], row["value"], test)


async def _note(request: Request) -> IssuedRewardNote:
    return read_input(IssuedRewardNote, await read_json_or_empty(request), code="invalid_reward_request")


async def purchase(request: Request) -> Response:
    """Spend the member's points on a reward: {"reward": "rwd_…", "test": false}."""
    member_id = _member_id(request)
    wanted = read_input(PurchaseInput, await read_json(request), code="invalid_reward_request")
    reward_id = wanted.reward
    db, settings = db_of(request), settings_of(request)
    now = datetime.now(UTC)
    async with db.write() as conn:
        member = await _member(conn, member_id, wanted.test)
        row = await flows.purchase(ConnTransaction(conn), reward_id, member, now, settings.tz)
        balance = await store.balance(ConnTransaction(conn), member_id, member.test)
    wake(db)
    done = (await report_owed(db, settings, [row["owed"]])).get(row["owed"])
    followed = None
    if done is not None:
        result = done["result"]
        followed = {
            "type": flows.PURCHASED_REWARD,
            "requestId": done["requestId"],
            "eventId": result.get("eventId"),
            "status": result["status"],
            "awards": result.get("awards", []),
        }
    return JSON({**flows.issued_json(row), "balance": balance, "followedBy": followed}, status_code=201)


async def member_rewards(request: Request) -> Response:
    """The member's rewards, newest first (`?test=true`: those of test data; `?status=`)."""
    member_id = _member_id(request)
    test = bool(bool_param(request, "test"))
    status = choice_param(request, "status", ("issued", "redeemed", "expired", "cancelled"))
    async with db_of(request).read() as conn:
        await _member(conn, member_id, test)
        rows = await store.issued_of_member(conn, member_id, test=test)
    return JSON({"items": [flows.issued_json(r) for r in rows if status is None or r["status"] == status]})


def _issued_id(request: Request) -> int:
    return path_id(request, "issued_id", "issued reward", code="unknown_issued_reward")


async def get_issued(request: Request) -> Response:
    issued_id = _issued_id(request)
    async with db_of(request).read() as conn:
        row = await store.get_issued(conn, issued_id)
    if row is None:
        raise NotFound(f"no issued reward {issued_id}", code="unknown_issued_reward")
    return JSON(flows.issued_json(row))


async def cancel(request: Request) -> Response:
    """Cancel an issued reward: its points come back (a `refund` entry), and its unit of stock."""
    issued_id = _issued_id(request)
    data = await _note(request)
    db = db_of(request)
    now = datetime.now(UTC)
    async with db.write() as conn:
        found = await store.get_issued(conn, issued_id)
        if found is None:
            raise NotFound(f"no issued reward {issued_id}", code="unknown_issued_reward")
        member = await _member(conn, found["profile_id"], bool(found["test"]))
        row = await flows.cancel(ConnTransaction(conn), issued_id, now, data.note, member)
        balance = await store.balance(ConnTransaction(conn), member.id, member.test)
    wake(db)
    return JSON({**flows.issued_json(row), "balance": balance})


async def redeem(request: Request) -> Response:
    """Mark an issued reward used (at the counter, in the shop)."""
    issued_id = _issued_id(request)
    data = await _note(request)
    async with db_of(request).write() as conn:
        row = await flows.redeem(ConnTransaction(conn), issued_id, datetime.now(UTC), data.note)
        found = await store.get_issued(conn, issued_id)
    return JSON(flows.issued_json({**row, "name": found["name"] if found else None}))


ROUTES = [
    Route("/api/rewards", list_rewards, methods=["GET"]),
    Route("/api/rewards", create_reward, methods=["POST"]),
    Route("/api/rewards/{reward_id}", get_reward, methods=["GET"]),
    Route("/api/rewards/{reward_id}", update_reward, methods=["PATCH"]),
    Route("/api/members/{member_id}/rewards", member_rewards, methods=["GET"]),
    Route("/api/members/{member_id}/reward-purchases", purchase, methods=["POST"]),
    Route("/api/issued-rewards/{issued_id}", get_issued, methods=["GET"]),
    Route("/api/issued-rewards/{issued_id}/cancel", cancel, methods=["POST"]),
    Route("/api/issued-rewards/{issued_id}/redeem", redeem, methods=["POST"]),
]
