"""POST /api/connectors/{connector_id}/replay: preview, then apply, a replay of a connector's kept events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.http import JSON, db_of, read_json, settings_of
from errors import InvalidInput
from pipeline.replay import REPLAYABLE, ReplayFilter, replay

FIELDS = ("since", "until", "statuses", "apply", "limit", "after")
MAX_LIMIT = 10_000
MAX_EVENT_ID = 2**63 - 1  # ids are 64-bit
# "duplicate" only on request: it picks events that an earlier replay found to be repeats (an
# event that arrived as a duplicate is never replayed; the event it repeats is).
CHOICES = (*REPLAYABLE, "duplicate", "skipped")  # skipped on purpose: replayed only when asked


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_replay")


def _time(data: Mapping[str, Any], name: str) -> datetime | None:
    raw = data.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _bad(f"{name}: {raw!r} must be an ISO 8601 time such as 2026-11-20T10:15:00Z")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"{name}: {raw!r} is not an ISO 8601 time such as 2026-11-20T10:15:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_replay_input(data: Any) -> tuple[ReplayFilter, bool]:
    if not isinstance(data, Mapping):
        raise _bad('body: expected a JSON object such as {"statuses": ["failed"], "apply": false}')
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise _bad(f"{unknown[0]}: unknown field; expected one of {', '.join(FIELDS)}")
    since, until = _time(data, "since"), _time(data, "until")
    if since is not None and until is not None and since >= until:
        raise _bad(f"until: {data['until']!r} must be after since {data['since']!r}")
    statuses = data.get("statuses", list(REPLAYABLE))
    if not isinstance(statuses, list) or not statuses:
        raise _bad(f"statuses: {statuses!r} must be a non-empty list of {', '.join(CHOICES)}")
    for i, status in enumerate(statuses):
        if status not in CHOICES:
            raise _bad(f"statuses[{i}]: {status!r} is not one of {', '.join(CHOICES)}")
    apply = data.get("apply", False)
    if not isinstance(apply, bool):
        raise _bad(f"apply: {apply!r} must be true or false")
    limit = data.get("limit", 1000)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise _bad(f"limit: {limit!r} must be a whole number from 1 to {MAX_LIMIT} (raw events per call)")
    after = data.get("after")
    if after is not None and (
        not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= MAX_EVENT_ID
    ):
        raise _bad(f"after: {after!r} must be an event id (the nextAfter of the previous answer)")
    return ReplayFilter(since, until, frozenset(statuses), limit, after), apply


async def replay_connector(request: Request) -> Response:
    f, apply = parse_replay_input(await read_json(request))
    body = await replay(
        db_of(request), settings_of(request), request.path_params["connector_id"], f, apply=apply
    )
    return JSON(body)


ROUTES = [Route("/api/connectors/{connector_id}/replay", replay_connector, methods=["POST"])]
