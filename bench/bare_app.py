"""The baseline: a bare Starlette endpoint that reads the body and answers JSON, nothing else."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def bare(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"ok": True})


app = Starlette(routes=[Route("/ingest/{connector_id}", bare, methods=["POST"])])
