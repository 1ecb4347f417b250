"""The integration page of one connector, as data: `api/handoff.py` serves it as JSON or HTML.

Never holds a stored secret: the snippets carry a placeholder the sender replaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.algorithms import ASYMMETRIC
from connectors.auth import PRESETS, AuthSettings, HubSignatureSettings, describe, parse_auth_settings
from connectors.bodies import SUPPORTED
from errors import MappingError
from handoff.example import (
    MADE_UP,
    MAPPED_EVENT_CONTRACT,
    Example,
    inputs_read,
    made_up,
    map_example,
    problems,
)
from handoff.fields import fields_read
from handoff.recipe import recipe_for
from handoff.sections import expected_payload, testing
from handoff.snippet_curl import curl_snippet
from handoff.snippet_node import node_snippet
from handoff.snippet_python import python_snippet
from handoff.words import explain
from mapping import CompiledMapping


def integration_page(
    row: Mapping[str, Any],
    *,
    base_url: str,
    example: Example | None = None,
    seen: Example | None = None,
    event_schema: Mapping[str, Any] | None = None,
    has_test_credential: bool = False,
    **mapping_bounds: Any,
) -> dict[str, Any]:
    """Everything a sender's developer needs, from the stored connector row and an example payload.

    `example`: the payload to show and send (None: made up from the mapping); `seen`: a saved
    sample or stored raw event, for the expected payload shape; `event_schema`: the event type's
    JSON Schema, to warn when the example would be rejected.
    """
    url = f"{base_url}/ingest/{row['id']}"
    auth = parse_auth_settings(row["auth"])
    recipe = recipe_for(auth)
    connector = {"id": row["id"], "name": row["name"], "mode": row["mode"], "eventType": row["event_type"]}
    read = fields_read(row["mapping"])
    try:
        mapping = CompiledMapping.compile(row["mapping"], **mapping_bounds)
        if example is None:
            example = made_up(mapping, read, connector=connector)
        mapped = map_example(mapping, example, connector=connector)
    except MappingError as error:  # a mapping saved under looser bounds; show why instead of failing
        example = example or MADE_UP
        mapped = {"mappedEvents": [], "errors": [error.to_json()["error"]]}
    raw = example.raw
    headers, query = inputs_read(example, read)
    shown = {f"$headers.{n}" for n in headers} | {f"$query.{n}" for n in query}
    redacted = [p for p in example.redacted if not p.startswith(("$headers.", "$query.")) or p in shown]
    warnings = problems(mapped, event_schema, row["event_type"])
    if not row["create_profiles"]:
        warnings.append(
            "This connector credits existing members only: an event whose profile does not exist yet "
            "is ignored."
        )
    if headers or query:
        warnings.append(
            "The ready-to-run examples send the body and the authentication only: add the headers "
            "and query parameters shown with the example yourself, the mapping reads them."
        )
    if example.source == "latest_event":
        warnings.insert(
            0,
            "This example is the latest real event this connector received. Values that look like "
            f"personal data were replaced ({', '.join(redacted) or 'none found'}), but other "
            "fields may still hold personal or confidential data: check the page before sharing it.",
        )
    elif example.source == "saved_sample" and redacted:
        warnings.insert(
            0,
            f"This example is the saved sample “{example.name}”. Values that look like personal data "
            f"were replaced ({', '.join(redacted)}), but other fields may still hold personal or "
            "confidential data: check the page before sharing it.",
        )
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
            "response": "200 with one result per mapped event: processed, duplicate, ignored, skipped, "
            'rejected or failed. A refused request gets 401 with {"error": {"code", "message"}}.',
        },
        "auth": {
            "method": auth.method,
            "settings": describe(auth),
            "placeholder": recipe.placeholder,
            **explain(auth, url),
        },
        "snippets": _vendor_signs(auth)
        or {
            "curl": curl_snippet(recipe, url, raw),
            "python": python_snippet(recipe, url, raw),
            "javascript": node_snippet(recipe, url, raw),
        },
        "mapping": {"expression": row["mapping"], "version": row["mapping_version"]},
        "example": {
            "source": example.source,
            "sampleName": example.name,
            "rawEvent": raw,
            "headers": headers,
            "query": query,
            "redacted": redacted,
            **mapped,
            "warnings": warnings,
        },
        "expectedPayload": expected_payload(read, seen),
        "testing": testing(row, recipe, has_test_credential=has_test_credential),
        "mappedEventContract": MAPPED_EVENT_CONTRACT,
        "generatedAt": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def _vendor_signs(auth: AuthSettings) -> dict[str, str] | None:
    """Senders that sign form posts (Twilio, Mandrill) send only what their platform builds:
    nobody writes that request by hand, so the page says where to trigger it instead."""
    if not isinstance(auth, HubSignatureSettings):
        return None
    if "{form}" not in auth.signed_payload and auth.algorithm not in ASYMMETRIC:
        return None
    vendor = PRESETS[auth.preset].vendor if auth.preset else "The sender"
    how = "with its private key" if auth.algorithm in ASYMMETRIC else "(form posts)"
    note = (
        f"{vendor} signs its own requests {how}; there is nothing to sign by hand. Enter the "
        "connector's URL exactly as shown in its settings, then send a test from its dashboard, "
        "or try the mapping with a dry run (POST /api/connectors/{id}/dry-run)."
    )
    return {"curl": "# " + note + "\n", "python": "# " + note + "\n", "javascript": "// " + note + "\n"}
