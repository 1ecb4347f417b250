"""A made-up raw event built from the fields a mapping reads, with plausible example values.

The aim is an example that the connector's own mapping turns into an event WITH a profile: an
email-looking field gets an email, an id a made-up id, a time an ISO 8601 time, a counter a number.
"""

from __future__ import annotations

import re
from typing import Any

from handoff.fields import Field

EXAMPLE_EMAIL = "ann@example.com"
EXAMPLE_TIME = "2026-11-20T10:15:00Z"


def _rules(*pairs: tuple[str, Any]) -> tuple[tuple[re.Pattern[str], Any], ...]:
    return tuple((re.compile(pattern), value) for pattern, value in pairs)


_TEXT = _rules(
    (r"(?i)e-?mail", EXAMPLE_EMAIL),
    (r"(?i)phone|mobile|msisdn", "+32470000000"),
    (r"(?i)currency", "EUR"),
    (r"(?i)country", "BE"),
    (r"(?i)(^|_)(lang|language|locale)$", "en"),
    (r"(_at|At|[dD]ate|[tT]ime|[sS]tamp)$|^(at|date|time|timestamp|created|updated)$", EXAMPLE_TIME),
)
_NUMBER = _rules(
    (r"(?i)quantity|qty|count|items|number_of", 1),
    (r"(?i)price|total|amount|revenue|spend|value|sum|points|score|minutes", 42.5),
)
_ID = re.compile(r"(^|_)(id|uuid|ref|key|number)$|(Id|ID|Ref|Number)$")


def example_value(f: Field) -> Any:
    """A value for one field, from its name, what the mapping makes of it and how it reads it."""
    name = f.path[-1] if f.path else ""
    target = f.target
    if f.equals is not None:
        return f.equals
    if f.kind == "object":  # read with $each / $keys: its keys become tag or counter names
        return {"total": 3} if "counters" in target else {"theme": "sport"}
    if target == "profile.value":
        if re.search(r"e-?mail", name, re.IGNORECASE) or not _ID.search(name):
            return EXAMPLE_EMAIL
        return "member-1001"
    if target == "payload.timestamp" or (_TEXT[-1][0].search(name) and f.kind != "number"):
        return EXAMPLE_TIME
    if target == "clientEventId":
        return "evt-1001"
    numeric = f.kind == "number" or target.startswith("counter ")
    for pattern, value in _TEXT if not numeric else ():
        if pattern.search(name):
            return value
    if _ID.search(name) and not numeric:
        return "1001"
    for pattern, value in _NUMBER:
        if pattern.search(name):
            return value
    if numeric:
        return 42.5
    return f"example {name}" if target.startswith("tag ") else "example"


def build_example(fields: list[Field]) -> dict[str, Any]:
    """A raw event holding every body field the mapping reads (lists as one-item lists)."""
    root: dict[str, Any] = {}
    for f in fields:
        if f.source == "body" and f.path:
            _place(root, f, 0)
    return root


def example_headers(fields: list[Field]) -> dict[str, str]:
    return {f.path[0]: str(example_value(f)) for f in fields if f.source == "headers" and f.path}


def example_query(fields: list[Field]) -> dict[str, str]:
    return {f.path[0]: str(example_value(f)) for f in fields if f.source == "query" and f.path}


def _place(node: dict[str, Any], f: Field, depth: int) -> None:
    name = f.path[depth]
    last = depth == len(f.path) - 1
    is_list = f.list_at == depth
    if last:
        if name not in node or not isinstance(node[name], (dict, list)):
            value = example_value(f)
            node[name] = [value] if is_list else value
        return
    child = node.get(name)
    if is_list:
        if not (isinstance(child, list) and child and isinstance(child[0], dict)):
            child = [child if isinstance(child, dict) else {}]
            node[name] = child
        _place(child[0], f, depth + 1)
        return
    if isinstance(child, list) and child and isinstance(child[0], dict):
        _place(child[0], f, depth + 1)
        return
    if not isinstance(child, dict):
        child = {}
        node[name] = child
    _place(child, f, depth + 1)
