"""Two sections of the integration page: the expected payload shape, and trying it with test data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handoff.example import SAMPLE_EVENT, Example
from handoff.fields import FieldsRead
from handoff.made_up import build_example
from handoff.outline import outline
from handoff.recipe import TOKEN_PLACEHOLDER, Recipe


def expected_payload(read: FieldsRead, seen: Example | None) -> dict[str, Any]:
    """Field names and types (no values) of what the sender sends, and the fields the mapping reads.

    `seen`: a saved sample or stored raw event of the connector, the real shape; else the shape
    is derived from the mapping (the fields it reads, or the mapped-event shape for `$`).
    """
    fields = [f.to_json() for f in read.fields]
    if seen is not None:
        source, schema = seen.source, outline(seen.raw)
        where = {"saved_sample": f"the saved sample “{seen.name}”", "latest_event": "the latest event"}
        summary = (
            f"The shape of {where.get(seen.source, 'the example')} this connector received "
            "(values left out)."
        )
    elif read.fields:
        source, schema = "mapping", outline(build_example(read.fields))
        summary = "Derived from the current mapping: the fields it reads, and what each becomes."
    else:
        source, schema = "mapping", outline(SAMPLE_EVENT)
        summary = "The current mapping takes the body as it is: send the mapped-event shape below."
    if read.whole_body and read.fields:
        summary += " The mapping also passes (part of) the body through as it is."
    return {
        "source": source,
        "sampleName": seen.name if seen is not None else None,
        "summary": summary,
        "schema": schema,
        "fieldsRead": fields,
        "profileFields": [f["path"] for f in fields if f.get("usedFor") == "profile.value"],
        "derivedBy": read.method,
    }


def testing(row: Mapping[str, Any], recipe: Recipe, *, has_test_credential: bool) -> dict[str, Any]:
    """How to try the integration without touching live balances. Never a credential's value."""
    word = "token" if recipe.placeholder == TOKEN_PLACEHOLDER else "secret"
    purge = f"POST /api/connectors/{row['id']}/purge-test-data"
    if row["mode"] == "test":
        summary = (
            f"This connector is in test mode: everything sent to it, with its {word}, is stored as "
            "test data until your Inbound administrator switches it to live."
        )
        steps = [f"Run the examples above with the connector's {word} in place of `{recipe.placeholder}`."]
    elif has_test_credential:
        summary = (
            f"This connector is live, and it also has a test {word}: try the integration against the "
            f"real URL with the test {word}, without touching live balances."
        )
        steps = [
            f"Ask your Inbound administrator for the test {word} (it is never shown on this page).",
            f"Run the examples above with the test {word} in place of `{recipe.placeholder}`: "
            "same URL, same signing.",
        ]
    else:
        summary = (
            f"This connector is live and has no test {word}: everything sent with its {word} counts "
            "for real (points are awarded to real members)."
        )
        steps = [
            f"To try the integration first, ask your Inbound administrator to add a test {word} "
            f"(`POST /api/connectors/{row['id']}/credentials` with `{{\"test\": true}}`), then run "
            f"the examples with it in place of `{recipe.placeholder}`.",
        ]
    steps += [
        'A test request is processed exactly like a live one, but the answer says `"test": true`; '
        "its events, points and the profiles it created are flagged as test data and kept apart "
        "from live balances (a separate test balance).",
        f"When you are done, your Inbound administrator purges the test data (`{purge}`, with the "
        "admin token). Live data is never purged.",
    ]
    return {
        "mode": row["mode"],
        "testCredential": has_test_credential,
        "placeholder": recipe.placeholder,
        "summary": summary,
        "steps": steps,
        "purge": {"method": "POST", "path": f"/api/connectors/{row['id']}/purge-test-data"},
    }
