"""The expected payload shape: a JSON-Schema-like outline of a payload, field names and types only."""

from __future__ import annotations

import re
from typing import Any

_MAX_DEPTH = 12
_MAX_PROPERTIES = 200
_EMAIL_KEY = re.compile(r"[^@\s]+@[^@\s]+")  # a key that is an address would leak it: hide it


def outline(value: Any, depth: int = 0) -> dict[str, Any]:
    """{"type": "object", "properties": {...}}, {"type": "array", "items": ...}, {"type": "string"}…"""
    if depth >= _MAX_DEPTH:
        return {}
    if isinstance(value, dict):
        properties = {
            ("<key>" if _EMAIL_KEY.fullmatch(str(k)) else str(k)): outline(v, depth + 1)
            for k, v in list(value.items())[:_MAX_PROPERTIES]
        }
        return {"type": "object", "properties": properties}
    if isinstance(value, list):
        if not value:
            return {"type": "array"}
        items = outline(value[0], depth + 1)
        for item in value[1:_MAX_PROPERTIES]:
            items = _union(items, outline(item, depth + 1))
        return {"type": "array", "items": items}
    return {"type": _type(value)}


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def _union(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Two outlines of list items as one: objects merge their properties, other types are listed."""
    if a == b:
        return a
    if a.get("type") == "object" and b.get("type") == "object":
        properties = dict(a["properties"])
        for key, sub in b["properties"].items():
            properties[key] = _union(properties[key], sub) if key in properties else sub
        return {"type": "object", "properties": properties}
    types = sorted({*_types(a), *_types(b)})
    return {"type": types} if len(types) > 1 else a


def _types(o: dict[str, Any]) -> list[str]:
    kind = o.get("type", [])
    return kind if isinstance(kind, list) else [kind]
