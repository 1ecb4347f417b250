"""The server's access log without credentials: query tokens (`?token=…`) never reach a log line.

uvicorn logs each request's full path. A `query_token` connector's token is in it, and which
parameter holds it is a per-connector setting the log cannot look up, so every query value is
masked: the request log (GET /api/requests/{id}) keeps the query, credentials left out.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

MASK = "***"


def mask_query(path: str) -> str:
    """`/ingest/con_1?token=abc&x=1` -> `/ingest/con_1?token=***&x=***`; names stay, for debugging."""
    base, sep, query = path.partition("?")
    if not sep:
        return path
    names = [pair.partition("=")[0] for pair in query.split("&") if pair]
    return base + "?" + "&".join(f"{quote(name, safe='%')}={MASK}" for name in names)


class MaskQueryValues(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn.access: (client address, method, full path, HTTP version, status code)
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], mask_query(args[2]), *args[3:])
        return True


def install() -> None:
    """Once per process (create_app runs in every worker)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, MaskQueryValues) for f in access.filters):
        access.addFilter(MaskQueryValues())
