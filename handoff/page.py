"""The integration page of one connector, as data: `api/handoff.py` serves it as JSON or HTML.

Never holds a stored secret: the snippets carry a placeholder the sender replaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.auth import describe, parse_auth_settings
from connectors.bodies import SUPPORTED
from errors import MappingError
from handoff.example import MADE_UP, MAPPED_EVENT_CONTRACT, Example, map_example
from handoff.recipe import recipe_for
from handoff.snippet_curl import curl_snippet
from handoff.snippet_node import node_snippet
from handoff.snippet_python import python_snippet
from handoff.words import explain
from mapping import CompiledMapping


def integration_page(
    row: Mapping[str, Any],
    *,
    base_url: str,
    example: Example = MADE_UP,
    timeout_ms: int = 1000,
    max_depth: int = 200,
) -> dict[str, Any]:
    """Everything a sender's developer needs, from the stored connector row and an example payload."""
    url = f"{base_url}/ingest/{row['id']}"
    auth = parse_auth_settings(row["auth"])
    recipe = recipe_for(auth)
    raw = example.raw
    connector = {"id": row["id"], "name": row["name"], "mode": row["mode"], "eventType": row["event_type"]}
    try:
        mapping = CompiledMapping.compile(row["mapping"], timeout_ms=timeout_ms, max_depth=max_depth)
        mapped = map_example(mapping, example, connector=connector)
    except MappingError as error:  # a mapping saved under looser bounds; show why instead of failing
        mapped = {"mappedEvents": [], "errors": [error.to_json()["error"]]}
    return {
        "connector": {
            **connector,
            "url": url,
            "status": row["status"],
            "allowGet": row["allow_get"],
            "allowedOrigins": row["allowed_origins"] or [],
        },
        "request": {
            "method": "POST",
            "url": url,
            "contentTypes": list(SUPPORTED),
            "batches": "A top-level JSON array (or NDJSON, one event a line) is a batch: each item is "
            "mapped on its own.",
            "response": "200 with one result per mapped event: processed, duplicate, ignored, rejected or "
            'failed. A refused request gets 401 with {"error": {"code", "message"}}.',
        },
        "auth": {
            "method": auth.method,
            "settings": describe(auth),
            "placeholder": recipe.placeholder,
            **explain(auth, url),
        },
        "snippets": {
            "curl": curl_snippet(recipe, url, raw),
            "python": python_snippet(recipe, url, raw),
            "javascript": node_snippet(recipe, url, raw),
        },
        "mapping": {"expression": row["mapping"], "version": row["mapping_version"]},
        "example": {
            "source": example.source,
            "sampleName": example.name,
            "rawEvent": raw,
            "headers": dict(example.headers),
            "query": dict(example.query),
            **mapped,
        },
        "mappedEventContract": MAPPED_EVENT_CONTRACT,
        "generatedAt": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
