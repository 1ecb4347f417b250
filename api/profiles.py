"""Admin API for profiles: look one up, its balance, its activity (events) and its ledger."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.http import JSON, MAX_ID, bool_param, check_text, db_of, int_param, page, path_id
from api.logs import event_json
from errors import InvalidInput, NotFound
from mapping.identity import normalise_identity
from storage import ledger, logs, members
from storage.database import Connection


def _profile_id(request: Request) -> int:
    return path_id(request, "profile_id", "profile", code="unknown_profile")


async def profile_json(conn: Connection, row: dict[str, Any]) -> dict[str, Any]:
    balance, lifetime = await ledger.balance_of(conn, row["id"], test=False)
    test_balance, test_lifetime = await ledger.balance_of(conn, row["id"], test=True)
    return {
        "id": row["id"],
        "kind": row["kind"],
        "value": row["value"],
        "test": row["test"],
        "createdByConnector": row["created_by_connector"],
        "createdAt": row["created_at"],
        "balance": balance,
        "lifetimePoints": lifetime,
        "testBalance": test_balance,
        "testLifetimePoints": test_lifetime,
    }


async def load_profile(conn: Connection, profile_id: int) -> dict[str, Any]:
    row = await members.member_by_id(conn, profile_id)
    if row is None:
        raise NotFound(f"no profile {profile_id}", code="unknown_profile")
    return row


async def get_profile(request: Request) -> Response:
    async with db_of(request).read() as conn:
        row = await load_profile(conn, _profile_id(request))
        return JSON(await profile_json(conn, row))


async def find_profile(request: Request) -> Response:
    value = request.query_params.get("value")
    if not value:
        raise InvalidInput(
            "value: required, e.g. ?kind=default&value=ann@example.com", code="invalid_parameter"
        )
    check_text("value", value)
    check_text("kind", request.query_params.get("kind", ""))
    kind, value = normalise_identity(request.query_params.get("kind", "default"), value)
    async with db_of(request).read() as conn:
        row = await members.member_by_identity(conn, kind, value, lock=False)
        if row is None:
            raise NotFound(f"no profile {kind}:{value}", code="unknown_profile")
        if row["merged_into"] is not None:  # another member's identity: that member
            return JSON(await profile_json(conn, await load_profile(conn, int(row["merged_into"]))))
        return JSON(await profile_json(conn, row))


async def profile_activity(request: Request) -> Response:
    profile_id = _profile_id(request)
    limit = int_param(request, "limit", 50, minimum=1, maximum=500)
    before = request.query_params.get("before")
    f = logs.LogFilter(
        profile_id=profile_id,
        limit=limit,
        before=int_param(request, "before", 0, minimum=1, maximum=MAX_ID) if before else None,
        test=bool_param(request, "test"),
    )
    async with db_of(request).read() as conn:
        await load_profile(conn, profile_id)
        rows = await logs.list_events(conn, f)
    return JSON(page([event_json(r, full=False) for r in rows], limit))


async def search_profiles(request: Request) -> Response:
    """Members whose identity value starts with `prefix` (at least 1 character), newest first."""
    prefix = request.query_params.get("prefix", "")
    if not prefix.strip():
        raise InvalidInput(
            "prefix: required, the start of an identity value, e.g. ?prefix=ann", code="invalid_parameter"
        )
    check_text("prefix", prefix)
    kind = request.query_params.get("kind") or None
    if kind is not None:
        check_text("kind", kind)
        kind = kind.strip().lower()
    limit = int_param(request, "limit", 20, minimum=1, maximum=200)
    async with db_of(request).read() as conn:
        rows = await members.search_profiles(conn, prefix.strip(), kind=kind, limit=limit)
    return JSON(
        {
            "items": [
                {
                    "id": r["id"],
                    "kind": r["kind"],
                    "value": r["value"],
                    "test": r["test"],
                    "createdAt": r["created_at"],
                    "balance": r["balance"] or 0,
                    "lifetimePoints": r["lifetime"] or 0,
                }
                for r in rows
            ]
        }
    )
