"""The ledger check: every balance equals the sum of its entries (storage/ledger.py), and the lots
of every member whose points have expired add up (expiry/lots.py): no expiry entry took more
points than had expired by its time. Answered by `GET /api/ledger/check` and `inbound check`."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from expiry.lots import allocate
from expiry.policy import policy_from_stored
from storage import expiry as expiry_store
from storage.driver import ConnTransaction
from storage.ledger import mismatched_balances


async def ledger_problems(conn: Any, tz: tzinfo) -> list[dict[str, Any]]:
    problems = await mismatched_balances(conn)
    holders = await expiry_store.holders_of_expiries(conn)
    if not holders:
        return problems
    policy = policy_from_stored(await expiry_store.get_policy(conn))
    tx = ConnTransaction(conn)
    for profile_id, test in holders:
        entries = await expiry_store.member_entries(tx, profile_id, test)
        lots = allocate(entries, policy, tz, await expiry_store.refunds_of(tx, profile_id, test))
        if lots.problems:
            problems.append(
                {
                    "profileId": profile_id,
                    "test": test,
                    "sumOfEntries": sum(e.points for e in entries),
                    "lots": lots.problems,
                }
            )
    return sorted(problems, key=lambda p: (p["profileId"], p["test"]))
