"""POST /api/connectors/{connector_id}/replay: preview, then apply, a replay of a connector's kept events."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.http import JSON, db_of, read_json, settings_of
from api.models.trials import ReplayInput
from api.validation import read_input
from pipeline.replay import ReplayFilter, replay


async def replay_connector(request: Request) -> Response:
    wanted = read_input(ReplayInput, await read_json(request), code="invalid_replay")
    f = ReplayFilter(wanted.since, wanted.until, frozenset(wanted.statuses), wanted.limit, wanted.after)
    apply = wanted.apply
    body = await replay(
        db_of(request), settings_of(request), request.path_params["connector_id"], f, apply=apply
    )
    return JSON(body)


ROUTES = [Route("/api/connectors/{connector_id}/replay", replay_connector, methods=["POST"])]
