"""Points expiry in the admin API: the program's policy, a pass run by hand, and what a member's
points will do (what expires when)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.http import JSON, bool_param, db_of, path_id, read_json, settings_of
from api.models.points import ExpiryPolicyInput
from api.validation import read_input
from errors import NotFound
from expiry.policy import Policy, policy_from_stored
from pipeline import expiry as flows
from pipeline.ledger_check import lots_of
from storage import expiry as store
from storage import members as member_store
from storage.driver import ConnTransaction


def policy_json(policy: Policy) -> dict[str, object]:
    return {"policy": policy.to_json(), "description": policy.describe()}


async def get_policy(request: Request) -> Response:
    async with db_of(request).read() as conn:
        return JSON(policy_json(policy_from_stored(await store.get_policy(conn))))


async def set_policy(request: Request) -> Response:
    """The new policy applies to points already earned too: the next pass expires what it says."""
    policy = read_input(ExpiryPolicyInput, await read_json(request), code="invalid_expiry_policy").policy()
    async with db_of(request).write() as conn:
        await store.set_policy(conn, policy.to_json(), datetime.now(UTC))
    return JSON(policy_json(policy))


async def run_now(request: Request) -> Response:
    done = await flows.expire(db_of(request), settings_of(request))
    return JSON(done.to_json())


async def preview_now(request: Request) -> Response:
    """What a pass run now would expire (members, entries, points, rewards), writing nothing."""
    done = await flows.preview(db_of(request), settings_of(request))
    return JSON(done.to_json())


async def member_expiring(request: Request) -> Response:
    """What the member's points will do: open lots by expiry date (`?test=true`: test points)."""
    member_id = path_id(request, "member_id", "member", code="unknown_member")
    test = bool(bool_param(request, "test"))
    settings = settings_of(request)
    now = flows.clock()
    async with db_of(request).read() as conn:
        member = await member_store.member_with_balance(conn, member_id)
        if member is None:
            raise NotFound(f"no member {member_id}", code="unknown_member")
        policy = policy_from_stored(await store.get_policy(conn))
        lots = await lots_of(ConnTransaction(conn), member_id, test, policy, settings.tz)
    never = sum(lot.remaining for lot in lots.open if lot.expires_at is None)
    return JSON(
        {
            "memberId": member_id,
            "test": test,
            "balance": lots.total,
            "policy": policy_json(policy),
            "expiring": [{"at": at, "points": points} for at, points in lots.upcoming(now)],
            "dueNow": [{"at": at, "points": points} for at, points in lots.expired_by(now).items()],
            "neverExpire": never,
            "debt": lots.debt,
        }
    )


ROUTES = [
    Route("/api/expiry-policy", get_policy, methods=["GET"]),
    Route("/api/expiry-policy", set_policy, methods=["PUT"]),
    Route("/api/expiry/run", run_now, methods=["POST"]),
    Route("/api/expiry/preview", preview_now, methods=["GET"]),
    Route("/api/members/{member_id}/expiring", member_expiring, methods=["GET"]),
]
