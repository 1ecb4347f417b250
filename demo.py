"""`make run` / `inbound demo`: load the examples as demo connectors and show how to send an event."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.connectors import create_connector_record
from earning_rules import parse_rule, rule_definition_to_json
from settings import Settings
from storage import connectors as store
from storage import rules as rule_store
from storage.database import Database
from storage.event_types import seed_builtin

EXAMPLES = Path(__file__).parent / "examples"


@dataclass(frozen=True)
class DemoConnector:
    id: str
    title: str
    example: dict[str, Any]


def load_examples() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.parent.name, json.loads(path.read_text())) for path in sorted(EXAMPLES.glob("*/example.json"))
    ]


async def load_demo(settings: Settings) -> list[DemoConnector]:
    """Create each example's connector once, under a stable id (`demo-<folder>`), so reruns keep data."""
    db = Database(settings.database_url)
    loaded = []
    try:
        async with db.write() as conn:
            await seed_builtin(conn, datetime.now(UTC))
            for slug, example in load_examples():
                connector_id = f"demo-{slug}"
                if await store.get_connector(conn, connector_id) is None:
                    await create_connector_record(
                        conn, example["connector"], settings, connector_id=connector_id
                    )
                    await _load_rules(conn, connector_id, example.get("rules", []))
                loaded.append(DemoConnector(connector_id, example["title"], example))
    finally:
        await db.dispose()
    return loaded


async def _load_rules(conn: Any, connector_id: str, rules: list[dict[str, Any]]) -> None:
    """The example's earning rules, bound to its demo connector, so demo events earn points."""
    now = datetime.now(UTC)
    for number, rule in enumerate(rules, start=1):
        definition = rule_definition_to_json(parse_rule({**rule, "source": {"connector": connector_id}}))
        await rule_store.insert_rule(
            conn,
            {
                "id": f"rule_{connector_id}_{number}",
                "version": 1,
                "name": definition["name"],
                "status": definition["status"],
                "priority": definition.get("priority") or 0,
                "definition": definition,
                "created_at": now,
                "updated_at": now,
            },
        )


def first_curl(settings: Settings, demo: DemoConnector) -> str:
    """A ready-to-paste curl for the example's first request, exactly as the sender makes it."""
    request = demo.example["requests"][0]
    query = "&".join(f"{k}={v}" for k, v in request.get("query", {}).items())
    url = f"{settings.base_url}/ingest/{demo.id}" + (f"?{query}" if query else "")
    body = request["bodyText"] if "bodyText" in request else json.dumps(request["body"])
    headers = request.get("headers") or {"Content-Type": "application/json"}
    header_args = " ".join(f"-H {shlex.quote(f'{k}: {v}')}" for k, v in headers.items())
    return f"curl -sS -X POST {shlex.quote(url)} {header_args} --data-binary {shlex.quote(body)}"


def print_welcome(settings: Settings, loaded: list[DemoConnector]) -> None:
    print("\nInbound demo")
    print(f"  console      {settings.base_url}/console  (log in with the admin token)")
    print(f"  service      {settings.base_url}")
    print(f"  database     {settings.database_url}")
    print(f"  admin token  {settings.admin_token}")
    print("\nDemo connectors:")
    for demo in loaded:
        print(f"  {settings.base_url}/ingest/{demo.id}   {demo.title}")
    # Prefer the Qualifio article example: a plain JSON body with the token in the URL.
    query_token = sorted(
        (d for d in loaded if d.example["connector"].get("auth", {}).get("method") == "query_token"),
        key=lambda d: "qualifio" not in d.id,
    )
    if query_token:
        print("\nSend an authenticated event:")
        print("  " + first_curl(settings, query_token[0]))
    print("\nSee what happened:")
    print(f"  curl -sS {settings.base_url}/api/events -H 'Authorization: Bearer {settings.admin_token}'\n")
