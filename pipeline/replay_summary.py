"""The answer of a replay (preview or applied): counts, the balance change per profile, the results."""

from __future__ import annotations

from collections import Counter as Tally
from typing import Any

from storage import ledger, members
from storage.database import Connection
from storage.replays import RawEvent


async def balance_changes(
    conn: Connection, deltas: dict[tuple[int, bool], int], created: set[int]
) -> list[dict[str, Any]]:
    """Per profile (and ledger) whose balance the replay moved: before, after, by how much."""
    changes = []
    for (profile_id, test), delta in sorted(deltas.items()):
        if delta == 0:
            continue
        who = await members.member_by_id(conn, profile_id)
        after, _lifetime = await ledger.balance_of(conn, profile_id, test=test)
        changes.append(
            {
                "profileId": profile_id,
                "kind": who["kind"] if who else None,
                "value": who["value"] if who else None,
                "test": test,
                "newProfile": profile_id in created,
                "pointsBefore": after - delta,
                "pointsAfter": after,
                "delta": delta,
            }
        )
    return changes


def answer(
    results: list[dict[str, Any]], changes: list[dict[str, Any]], raws: list[RawEvent], more: RawEvent | None
) -> dict[str, Any]:
    raw_count = len(raws)
    stored = [r for r in results if not r["unchanged"]]
    counts = {
        "rawEvents": raw_count,
        "events": len(results),
        "stored": len(stored),
        "unchanged": len(results) - len(stored),
        "statuses": dict(Tally(r["status"] for r in stored)),
    }
    body: dict[str, Any] = {
        "events": len(results),
        "counts": counts,
        "pointsDelta": sum(c["delta"] for c in changes),
        "changes": changes,
        "results": results,
        "more": more is not None,
    }
    if more is not None:
        # Replays are exactly once, so carrying on from here (even overlapping) is safe.
        body["nextSince"] = more.received_at
        # Exact, no overlap: send it as `after` (with the same since, until and statuses).
        body["nextAfter"] = raws[-1].first_id
    return body
