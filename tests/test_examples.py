"""Every examples/* case runs through the real HTTP server: the examples are the specification."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from connectors.auth import parse_auth_settings, sign
from tests.conftest import Server

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*/example.json"))


def _matches(expected: Any, actual: Any, where: str) -> None:
    """Every field of `expected` is in `actual` with the same value; lists compare item by item."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} is missing in {actual!r}"
            _matches(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (
            f"{where}: {actual!r} != {expected!r}"
        )
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _matches(e, a, f"{where}[{i}]")
    else:
        assert expected == actual, f"{where}: expected {expected!r}, got {actual!r}"


def body_bytes(request: dict[str, Any]) -> bytes:
    if "bodyText" in request:
        return str(request["bodyText"]).encode()
    return json.dumps(request["body"]).encode()


def run_example(server: Server, example: dict[str, Any]) -> None:
    connector_body = dict(example["connector"])
    created = server.admin.post("/api/connectors", json=connector_body)
    assert created.status_code == 201, created.text
    connector = created.json()
    for rule in example.get("rules", []):
        response = server.admin.post("/api/rules", json={**rule, "source": {"connector": connector["id"]}})
        assert response.status_code == 201, response.text
    for number, request in enumerate(example["requests"]):
        body = body_bytes(request)
        headers = dict(request.get("headers", {}))
        query = dict(request.get("query", {}))
        if request.get("sign"):
            signed = sign(
                parse_auth_settings(connector_body["auth"]), connector_body["secret"], body, now=time.time()
            )
            headers.update(signed.headers)
            query.update(signed.query)
        url = f"/ingest/{connector['id']}" + (f"?{urlencode(query)}" if query else "")
        response = server.client.request(request.get("method", "POST"), url, content=body, headers=headers)
        expect = request["expect"]
        assert response.status_code == expect["status"], f"request {number}: {response.text}"
        _matches({k: v for k, v in expect.items() if k != "status"}, response.json(), f"request {number}")
    if example.get("expectBalances"):
        for identity, balance in example["expectBalances"].items():
            kind, _, value = identity.partition(":")
            profile = server.admin.get("/api/profiles", params={"kind": kind, "value": value}).json()
            assert profile["balance"] == balance, (identity, profile)
    assert server.admin.get("/api/ledger/check").json()["ok"] is True


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.parent.name for p in EXAMPLES])
def test_example(server: Server, path: Path) -> None:
    run_example(server, json.loads(path.read_text()))


def test_there_are_at_least_five_examples() -> None:
    assert len(EXAMPLES) >= 5, [p.parent.name for p in EXAMPLES]
