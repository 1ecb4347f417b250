"""GET /metrics: Prometheus metrics (pipeline/metrics.py), for the admin token only.

Scrape it with the admin token as a bearer credential (`authorization: {credentials: …}` in the
scrape config): the labels name connectors and rules.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response

from api.admin_auth import identify
from api.http import JSON
from pipeline.metrics import backlog_of


async def metrics(request: Request) -> Response:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    identity = await identify(request.app, presented.strip()) if scheme.lower() == "bearer" else None
    if identity is None:  # any admin key may read the metrics, as any may read the API
        return JSON(
            {
                "error": {
                    "code": "admin_unauthorized",
                    "message": "send 'Authorization: Bearer <admin token>'",
                }
            },
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="inbound-admin"'},
        )
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # every worker's samples, added up
    else:
        registry = REGISTRY
    async with request.app.state.db.read() as conn:
        backlog = await backlog_of(conn, datetime.now(UTC))
    return Response(generate_latest(registry) + generate_latest(backlog), media_type=CONTENT_TYPE_LATEST)
