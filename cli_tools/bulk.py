"""Bulk sending for `inbound send --each`: one request per event (or per `--batch-size` events).

Each request is signed when it is sent, so a long run never trips a timestamp tolerance. The
summary counts HTTP statuses and the event statuses the service answered.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

import httpx

from cli_tools.progress import Progress
from cli_tools.sender import Sender
from connectors.bodies import loads
from errors import InvalidInput

_MAX_ERRORS_SHOWN = 5


def read_items(text: str, path: str, *, split: bool) -> list[str]:
    """The events of a file as JSON texts: a JSON array's items, or NDJSON's lines as written."""
    stripped = text.lstrip()
    if split or stripped.startswith("["):
        try:
            parsed = loads(text)
        except ValueError as exc:
            raise InvalidInput(f"{path}: not valid JSON: {exc}") from None
        if not isinstance(parsed, list):
            raise InvalidInput(f"{path}: --split needs a JSON array of events, got a {type(parsed).__name__}")
        return [json.dumps(item, ensure_ascii=False) for item in parsed]
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            loads(line)
        except ValueError as exc:
            raise InvalidInput(f"{path}: line {number} is not valid JSON: {exc}") from None
        items.append(line.strip())
    return items


def _body(chunk: list[str]) -> bytes:
    text = chunk[0] if len(chunk) == 1 else "[" + ",".join(chunk) + "]"
    return text.encode("utf-8")


def send_all(sender: Sender, items: list[str], *, batch_size: int, content_type: str) -> int:
    if not items:
        raise InvalidInput("send: the file holds no events")
    progress = Progress(len(items), sys.stderr)
    http: Counter[str] = Counter()
    events: Counter[str] = Counter()
    errors: list[str] = []
    sent = 0
    for start in range(0, len(items), batch_size):
        chunk = items[start : start + batch_size]
        outcome = _send_one(sender, _body(chunk), content_type, events)
        http[outcome[0]] += 1
        if outcome[1] and len(errors) < _MAX_ERRORS_SHOWN:
            errors.append(f"events {start}-{start + len(chunk) - 1}: {outcome[1]}")
        sent += len(chunk)
        progress.update(sent)
    progress.finish(sent)
    summary: dict[str, Any] = {
        "events": len(items),
        "requests": sum(http.values()),
        "httpStatuses": dict(sorted(http.items())),
        "eventStatuses": dict(sorted(events.items())),
    }
    if errors:
        summary["errors"] = errors
    print(json.dumps(summary, indent=2))
    return 0 if all(code.startswith("2") for code in http) else 1


def _send_one(sender: Sender, body: bytes, content_type: str, events: Counter[str]) -> tuple[str, str]:
    """(HTTP status or "unreachable", error message or ""); event statuses are added to `events`."""
    try:
        response = sender.post(body, content_type)
    except httpx.HTTPError as exc:
        return "unreachable", str(exc) or type(exc).__name__
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.is_success and isinstance(data, dict):
        for status, count in (data.get("counts") or {}).items():
            events[status] += int(count)
        return str(response.status_code), ""
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return str(response.status_code), str(message or response.text[:200])
