"""The ledger check: every balance equals the sum of its entries (storage/ledger.py), and the lots
of every member whose points have expired add up (expiry/lots.py): no expiry entry took more
points than had expired by its time. Answered by `GET /api/ledger/check` and `inbound check`."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from expiry.lots import Lots, allocate
from expiry.policy import Policy, policy_from_stored
from storage import expiry as expiry_store
from storage.driver import ConnTransaction, RawTransaction
from storage.ledger import mismatched_balances


async def lots_of(tx: RawTransaction, profile_id: int, test: bool, policy: Policy, tz: tzinfo) -> Lots:
    """A member's lots (live or test), worked out from the ledger."""
    entries = await expiry_store.member_entries(tx, profile_id, test)
    return allocate(entries, policy, tz, await expiry_store.refunds_of(tx, profile_id, test))


async def ledger_problems(conn: Any, tz: tzinfo) -> list[dict[str, Any]]:
    problems = await mismatched_balances(conn)
    holders = await expiry_store.holders_of_expiries(conn)
    if not holders:
        return problems
    policy = policy_from_stored(await expiry_store.get_policy(conn))
    tx = ConnTransaction(conn)
    for profile_id, test in holders:
        lots = await lots_of(tx, profile_id, test, policy, tz)
        if lots.problems:  # the open lots less the debt are the sum of the entries, by construction
            problems.append(
                {"profileId": profile_id, "test": test, "sumOfEntries": lots.total, "lots": lots.problems}
            )
    return sorted(problems, key=lambda p: (p["profileId"], p["test"]))
