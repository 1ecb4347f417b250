"""docs/mapping.md keeps telling the truth: its worked examples run through the real mapping code.

An example is a `### ` section with a ```` ```json input ```` block (the raw event), a
```` ```jsonata ```` block (the mapping), a ```` ```json output ```` block (the mapped events)
and optionally a ```` ```json request ```` block (`headers`, `query`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mapping import CompiledMapping, MappedEvent, map_raw_event

DOC = Path(__file__).resolve().parent.parent / "docs" / "mapping.md"
BLOCK = re.compile(r"^```(json input|json output|json request|jsonata)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def examples() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for section in re.split(r"^### ", DOC.read_text(), flags=re.MULTILINE)[1:]:
        title = section.splitlines()[0]
        blocks = {kind: body for kind, body in BLOCK.findall(section)}
        if "jsonata" in blocks:
            found[title] = blocks
    return found


def test_the_doc_has_three_worked_examples() -> None:
    assert len(examples()) >= 3


@pytest.mark.parametrize("title", sorted(examples()))
def test_worked_example(title: str) -> None:
    blocks = examples()[title]
    request = json.loads(blocks.get("json request", "{}"))
    results = map_raw_event(
        CompiledMapping.compile(blocks["jsonata"]),
        json.loads(blocks["json input"]),
        headers=request.get("headers", {}),
        query=request.get("query", {}),
        connector={"id": "con_newsletter", "name": "Example", "mode": "live", "eventType": "custom.basic"},
    )
    problems = [r.message for r in results if not isinstance(r, MappedEvent)]
    assert not problems
    assert [r.to_json() for r in results if isinstance(r, MappedEvent)] == json.loads(blocks["json output"])
