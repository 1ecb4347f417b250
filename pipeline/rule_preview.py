"""Preview a rule, saved or not, on recent events: what it would have awarded, and why not.

Pure judging of stored mapped events with the rule as if active. Limits start from nothing
used (the preview does not count past awards), so it shows what the conditions and reward do;
the answer says so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from earning_rules import Rule, RuleDefinition, RuleEvent, evaluate

PREVIEW_ID = "preview"


def rule_event_of_stored(row: dict[str, Any]) -> RuleEvent | None:
    """The rule's view of a stored event; None when it kept no mapped payload."""
    mapped = row.get("mapped")
    payload = mapped.get("payload") if isinstance(mapped, dict) else None
    if not isinstance(payload, dict):
        return None
    tags = [(str(t["name"]), str(t["value"])) for t in payload.get("tags") or [] if isinstance(t, dict)]
    counters = [
        (str(c["name"]), c["value"])
        for c in payload.get("counters") or []
        if isinstance(c, dict)
        and isinstance(c.get("value"), (int, float))
        and not isinstance(c["value"], bool)
    ]
    occurred: datetime = row["occurred_at"]
    return RuleEvent(row["connector_id"], row["event_type"], occurred, tags, counters)


def preview(definition: RuleDefinition, rows: list[dict[str, Any]], tz: ZoneInfo) -> dict[str, Any]:
    rule = Rule(PREVIEW_ID, 0, definition)
    statuses = frozenset({definition.status, "active"})
    items = []
    for row in rows:
        event = rule_event_of_stored(row)
        if event is None:
            continue
        judged = evaluate([rule], event, {}, tz, include_statuses=statuses, every_source=True).trace[0]
        items.append(
            {
                "eventId": row["id"],
                "connectorId": row["connector_id"],
                "profileId": row["profile_id"],
                "member": row.get("profile_value"),  # who, to show (the event log's identity)
                "occurredAt": row["occurred_at"],
                "outcome": judged["outcome"],
                "points": judged["points"],
                "reason": judged.get("reason"),
            }
        )
    awarded = [i for i in items if i["points"]]
    return {
        "events": len(items),
        "matched": len(awarded),
        "points": sum(i["points"] for i in awarded),
        "members": len({i["profileId"] for i in awarded}),
        "limitsCounted": False,
        "items": items,
    }
