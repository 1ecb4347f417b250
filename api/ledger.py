"""Admin API for the ledger: a profile's entries, manual adjustments, and the balance check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.http import JSON, bool_param, db_of, int_param, page, read_json, settings_of
from api.models.points import AdjustmentInput
from api.profiles import _profile_id, load_profile
from api.validation import read_input
from errors import InvalidInput
from pipeline.ledger_check import ledger_problems
from storage import entries as entry_store
from storage import ledger
from storage.locks import lock_profiles

MAX_BALANCE = 2**53 - 1  # the largest whole number every JSON client (JavaScript) reads exactly


def entry_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "profileId": row.profile_id,
        "points": row.points,
        "kind": row.kind,
        "ruleId": row.rule_id,
        "ruleVersion": row.rule_version,
        "eventId": row.event_id,
        "connectorId": row.connector_id,
        "reversesEntryId": row.reverses_entry_id,
        "reason": row.reason,
        "admin": row.admin,
        "test": row.test,
        "occurredAt": row.occurred_at,
        "createdAt": row.created_at,
    }


async def profile_ledger(request: Request) -> Response:
    profile_id = _profile_id(request)
    limit = int_param(request, "limit", 50, minimum=1, maximum=500)
    before = int_param(request, "before", 0, minimum=0)
    test = bool_param(request, "test") or False
    async with db_of(request).read() as conn:
        await load_profile(conn, profile_id)
        rows = await entry_store.entries_page(conn, profile_id, test=test, before=before, limit=limit)
        balance, lifetime = await ledger.balance_of(conn, profile_id, test=test)
    body = page([entry_json(r) for r in rows], limit)
    body.update(balance=balance, lifetimePoints=lifetime)
    return JSON(body)


async def adjust(request: Request) -> Response:
    """A manual + or − with a reason and the admin who made it; an entry like any other."""
    profile_id = _profile_id(request)
    wanted = read_input(AdjustmentInput, await read_json(request), code="invalid_adjustment")
    points, reason, admin, test = wanted.points, wanted.reason, wanted.admin, wanted.test
    now = datetime.now(UTC)
    async with db_of(request).write() as conn:
        await load_profile(conn, profile_id)
        await lock_profiles(conn, [profile_id])  # the same per-member lock events take
        balance, lifetime = await ledger.balance_of(conn, profile_id, test=test)
        if not (-MAX_BALANCE <= balance + points <= MAX_BALANCE and lifetime + max(points, 0) <= MAX_BALANCE):
            raise InvalidInput(
                f"points: {points} would take the balance from {balance} to {balance + points} "
                f"(lifetime {lifetime}), beyond the most a balance can hold, ±{MAX_BALANCE}",
                code="invalid_adjustment",
            )
        entry_id = await ledger.add_entry(
            conn,
            {
                "profile_id": profile_id,
                "points": points,
                "kind": "adjustment",
                "reason": reason,
                "admin": admin,
                "test": test,
                "occurred_at": now,
                "created_at": now,
            },
        )
        balance, lifetime = await ledger.balance_of(conn, profile_id, test=test)
    return JSON(
        {"entryId": entry_id, "points": points, "balance": balance, "lifetimePoints": lifetime},
        status_code=201,
    )


async def check_balances(request: Request) -> Response:
    async with db_of(request).read() as conn:
        problems = await ledger_problems(conn, settings_of(request).tz)
    return JSON({"ok": not problems, "mismatches": problems})
