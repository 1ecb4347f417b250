"""The messages Inbound sends, built from what the pipeline already has (an event's row and its
answer), in Standard Webhooks' shape: {"type", "timestamp", "data"}. The body is serialised once,
when the message is written to the outbox, and every attempt sends exactly those bytes."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from webhooks.endpoints import TEST_KIND


@dataclass(frozen=True)
class Message:
    message_id: str  # webhook-id: the same for every endpoint and every attempt
    kind: str
    payload: str
    test: bool
    created_at: datetime


def new_message_id() -> str:
    """Sortable by time and unguessable, like request ids: 'msg_' + ms timestamp + random."""
    return f"msg_{int(time.time() * 1000):013x}{os.urandom(6).hex()}"


def _iso(value: datetime) -> str:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def message(kind: str, data: dict[str, Any], *, test: bool, at: datetime) -> Message:
    body = {"type": kind, "timestamp": _iso(at), "data": data}
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
    return Message(new_message_id(), kind, payload, test, at)


def _profile(result: dict[str, Any]) -> dict[str, Any] | None:
    profile = result.get("profile")
    if not profile:
        return None
    return {"id": profile.get("id"), "kind": profile.get("kind"), "value": profile.get("value")}


class EventFacts(Protocol):
    """What a message tells of the event besides its result (an event row as the pipeline writes it)."""

    test: bool
    event_type: str
    connector_id: str
    occurred_at: datetime


def for_event(
    event: EventFacts, result: dict[str, Any], subscribed: Collection[str], *, at: datetime
) -> list[Message]:
    """event.processed and one points.awarded per award, for the kinds someone subscribes to."""
    if result.get("status") != "processed":
        return []
    test = event.test
    awards = [a for a in result.get("awards") or [] if a.get("points")]
    common = {
        "eventId": result.get("eventId"),
        "eventType": event.event_type,
        "connectorId": event.connector_id,
        "clientEventId": result.get("clientEventId"),
        "occurredAt": _iso(event.occurred_at),
        "profile": _profile(result),
        "test": test,
    }
    out: list[Message] = []
    if "event.processed" in subscribed:
        data = {**common, "awards": awards, "balance": result.get("balance")}
        out.append(message("event.processed", data, test=test, at=at))
    if "points.awarded" in subscribed:
        for award in awards:
            data = {
                **common,
                "entryId": award.get("entryId"),
                "ruleId": award.get("ruleId"),
                "ruleVersion": award.get("ruleVersion"),
                "rule": award.get("name"),
                "points": award.get("points"),
            }
            out.append(message("points.awarded", data, test=test, at=at))
    return out


def test_message(endpoint_id: str, *, test: bool, at: datetime) -> Message:
    data = {"endpointId": endpoint_id, "message": "a test message from Inbound: this endpoint is reachable"}
    return message(TEST_KIND, data, test=test, at=at)
