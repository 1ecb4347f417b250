"""Small helpers for end-to-end tests: create connectors, send events, check invariants."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx


def unique_email(prefix: str = "member") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


SIMPLE_MAPPING = """{
  "clientEventId": id,
  "profile": {"kind": "default", "value": email},
  "payload": {
    "timestamp": at,
    "tags": tags ? $each(tags, function($v, $k) {{"name": $k, "value": $v}}) : [],
    "counters": counters ? $each(counters, function($v, $k) {{"name": $k, "value": $v}}) : []
  }
}"""


def create_connector(admin: httpx.Client, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Test connector",
        "auth": {"method": "query_token"},
        "mapping": SIMPLE_MAPPING,
    }
    body.update(overrides)
    response = admin.post("/api/connectors", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def token_of(connector: dict[str, Any], *, test: bool = False) -> str:
    return next(c["value"] for c in connector["credentials"] if c["test"] == test)


def send(
    client: httpx.Client, connector: dict[str, Any], body: Any, *, token: str | None = None, **kwargs: Any
) -> httpx.Response:
    params = {"token": token or token_of(connector)}
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    headers = kwargs.pop("headers", {"Content-Type": "application/json"})
    return client.post(
        f"/ingest/{connector['id']}", params=params, content=content, headers=headers, **kwargs
    )


def assert_error(response: httpx.Response, status: int, code: str, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    for fragment in fragments:
        assert fragment in error["message"], (fragment, error["message"])
    return error
