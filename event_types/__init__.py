"""Event types: a name and a JSON Schema for the event's payload. Pure: no storage, no HTTP.

Schemas are written against a friendly view of the payload, where tags and counters are objects
keyed by name: `{"tags": {"currency": "EUR"}, "counters": {"amount": 42.5}, "timestamp": "…"}`.
That lets a schema say `"required": ["amount"]` instead of searching arrays of name/value pairs.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.exceptions import SchemaError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from earning_rules.patterns import PatternError, PatternTimeout, check_pattern, search
from errors import InvalidInput

# Who may report events of a type: only connectors; members with their own token (public);
# systems with the type's secret (private); or Inbound itself (intrinsic, built in).
REPORTING = ("connectors", "public", "private")
INTRINSIC = "intrinsic"

BUILTIN: dict[str, dict[str, Any]] = {
    "REGISTERED_ACCOUNT": {
        "description": (
            "Reported by Inbound when a member registers (POST /api/members): a welcome bonus "
            "listens to it. Intrinsic: it cannot be reported through the API or a connector."
        ),
        "schema": {"type": "object"},
        "reporting": INTRINSIC,
    },
    "EARNED_BADGE": {
        "description": (
            "Reported by Inbound when a member earns a badge (a rule's reaction, or by hand): tags "
            "`badge` (its id), `badgeName` and `memberBadgeId`. Intrinsic: it cannot be reported "
            "through the API or a connector."
        ),
        "schema": {"type": "object"},
        "reporting": INTRINSIC,
    },
    "PURCHASED_REWARD": {
        "description": (
            "Reported by Inbound when a member buys a reward with points: tags `reward` (its id), "
            "`rewardName`, `issuedRewardId`; counter `cost`. Intrinsic: it cannot be reported "
            "through the API or a connector."
        ),
        "schema": {"type": "object"},
        "reporting": INTRINSIC,
    },
    "POINTS_EXPIRED": {
        "description": (
            "Reported by Inbound when a member's points expire (the expiry pass): counter `points` "
            "(how many). Intrinsic: it cannot be reported through the API or a connector."
        ),
        "schema": {"type": "object"},
        "reporting": INTRINSIC,
    },
    "custom.basic": {
        "description": "Any tags and counters. The default for connectors.",
        "schema": {"type": "object"},
    },
    "ecommerce.purchase": {
        "description": (
            "A completed order: counter `amount` (the order total, ≥ 0) and tag `currency` "
            "(ISO 4217, three capital letters) are required; counter `items` (≥ 0) and tag "
            "`order_id` are optional."
        ),
        "schema": {
            "type": "object",
            "required": ["counters", "tags"],
            "properties": {
                "counters": {
                    "type": "object",
                    "required": ["amount"],
                    "properties": {
                        "amount": {"type": "number", "minimum": 0},
                        "items": {"type": "number", "minimum": 0},
                    },
                },
                "tags": {
                    "type": "object",
                    "required": ["currency"],
                    "properties": {
                        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                        "order_id": {"type": "string", "minLength": 1},
                    },
                },
            },
        },
    },
}

NAME_PATTERN = r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$"


def check_schema(name: str, schema: Any) -> None:
    """Refuse a custom event type whose name or schema is unusable, naming the problem."""
    if not isinstance(name, str) or not re.match(NAME_PATTERN, name):
        raise InvalidInput(
            f"name: {name!r} must be dotted lower-case words such as 'shop.review'",
            code="invalid_event_type",
        )
    if not isinstance(schema, dict):
        raise InvalidInput(
            f"schema: expected a JSON Schema object, got {type(schema).__name__}",
            code="invalid_event_type",
        )
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "(root)"
        raise InvalidInput(f"schema at {where}: {exc.message}", code="invalid_event_type") from None
    remote = _remote_ref(schema, "(root)")
    if remote is not None:
        where, ref = remote
        raise InvalidInput(
            f"schema at {where}: $ref {ref!r} points outside this schema; only local references "
            "such as '#/$defs/money' are allowed (Inbound never fetches schemas while it ingests)",
            code="invalid_event_type",
        )
    for where, node in _nodes(schema, "(root)"):
        _check_node(where, node, schema)


def _nodes(node: Any, where: str) -> Any:
    """Every object in the schema, with where it is."""
    if isinstance(node, dict):
        yield where, node
        for key, child in node.items():
            yield from _nodes(child, f"{where}/{key}" if where != "(root)" else str(key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _nodes(child, f"{where}/{index}" if where != "(root)" else str(index))


def _check_node(where: str, node: dict[str, Any], schema: dict[str, Any]) -> None:
    """A `$ref` must resolve (else every event would fail later), and a pattern must be bounded
    (else one event could freeze the server)."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        base = "urn:inbound:schema"
        resolver = Registry().with_resource(base, DRAFT202012.create_resource(schema)).resolver(base)
        try:
            resolver.lookup(ref)
        except Unresolvable:
            raise InvalidInput(
                f"schema at {where}: $ref {ref!r} points at nothing in this schema",
                code="invalid_event_type",
            ) from None
    patterns = []
    if isinstance(node.get("pattern"), str):
        patterns.append(("pattern", node["pattern"]))
    if isinstance(node.get("patternProperties"), dict):
        patterns += [("patternProperties", key) for key in node["patternProperties"]]
    for keyword, source in patterns:
        try:
            check_pattern(source)
        except PatternError as exc:
            raise InvalidInput(
                f"schema at {where}: {keyword} {source!r} {exc}", code="invalid_event_type"
            ) from None


def _remote_ref(node: Any, where: str) -> tuple[str, str] | None:
    """The first `$ref` that is not a local JSON pointer ('#…'), with where it is."""
    items: list[tuple[Any, Any]]
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return where, ref
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return None
    for key, child in items:
        found = _remote_ref(child, f"{where}/{key}" if where != "(root)" else str(key))
        if found is not None:
            return found
    return None


def payload_view(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The object the schema sees; the first tag or counter of a name wins."""
    tags: dict[str, Any] = {}
    for tag in payload.get("tags", []):
        tags.setdefault(tag["name"], tag["value"])
    counters: dict[str, Any] = {}
    for counter in payload.get("counters", []):
        counters.setdefault(counter["name"], counter["value"])
    view: dict[str, Any] = {"tags": tags, "counters": counters}
    if payload.get("timestamp") is not None:
        view["timestamp"] = payload["timestamp"]
    return view


def _bounded_pattern(validator: Any, source: str, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "string"):
        return
    try:
        if not search(source, instance):
            yield ValidationError(f"{instance!r} does not match {source!r}")
    except PatternTimeout as exc:  # cannot be decided in time: the value does not pass
        yield ValidationError(f"{instance!r} could not be checked: {exc}")


def _bounded_pattern_properties(validator: Any, properties: Any, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "object"):
        return
    for source, subschema in properties.items():
        for key, value in instance.items():
            try:
                matched = search(source, key)
            except PatternTimeout as exc:
                yield ValidationError(f"property {key!r} could not be checked: {exc}")
                continue
            if matched:
                yield from validator.descend(value, subschema, path=key, schema_path=source)


# jsonschema matches `pattern` with `re`, unbounded while holding the GIL: match with a time limit.
BoundedValidator = validators.extend(
    Draft202012Validator,
    {"pattern": _bounded_pattern, "patternProperties": _bounded_pattern_properties},
)


@lru_cache(maxsize=256)
def _validator(schema_text: str) -> Any:
    # An empty registry that retrieves nothing: no schema is ever fetched over the network.
    return BoundedValidator(json.loads(schema_text), registry=Registry())


_by_object: dict[int, tuple[dict[str, Any], Any]] = {}


def _validator_of(schema: dict[str, Any]) -> Any:
    """The validator of this schema object: ingest reuses one schema object per event type while
    the configuration does not change, so its text is computed once, not once per event."""
    found = _by_object.get(id(schema))
    if found is not None and found[0] is schema:
        return found[1]
    # Keyed by the schema's text so an edited event type is never judged by a stale validator.
    validator = _validator(json.dumps(schema, sort_keys=True))
    if len(_by_object) > 256:
        _by_object.clear()
    _by_object[id(schema)] = (schema, validator)
    return validator


# Keywords that constrain nothing: a schema made only of them (and "type": "object") accepts every
# payload, whose view is always an object. Most event types are that: they skip the validator.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "examples", "default"})


def accepts_every_payload(schema: Mapping[str, Any]) -> bool:
    return schema.get("type", "object") == "object" and all(k == "type" or k in _ANNOTATIONS for k in schema)


def schema_errors(schema: dict[str, Any], payload: Mapping[str, Any]) -> list[str]:
    """Every schema error as 'counters.amount: -1 is less than the minimum of 0'."""
    if accepts_every_payload(schema):
        return []
    validator = _validator_of(schema)
    errors = []
    for error in sorted(validator.iter_errors(payload_view(payload)), key=lambda e: list(e.path)):
        where = ".".join(str(p) for p in error.path) or "payload"
        errors.append(f"{where}: {_json_message(error)}")
    return errors


_PY_STRING = re.compile(r"'(?:[^'\\]|\\.)*'")


def _json_message(error: Any) -> str:
    """jsonschema's message with the values it quotes as JSON (`{"other": 3}`, `"amount"`), not
    Python (`{'other': 3}`, `'amount'`): the sender wrote JSON and reads JSON."""
    message: str = error.message
    shown: list[str] = []
    for value in (error.instance, error.validator_value):
        text = repr(value)
        if len(text) < 2 or text not in message:  # short reprs (0, 1) read the same in JSON
            continue
        try:
            as_json = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            continue
        message = message.replace(text, f"\x00{len(shown)}\x00")
        shown.append(as_json)

    def quoted(match: re.Match[str]) -> str:  # the remaining Python strings, e.g. property names
        try:
            return json.dumps(ast.literal_eval(match.group()), ensure_ascii=False)
        except (ValueError, SyntaxError):
            return match.group()

    message = _PY_STRING.sub(quoted, message)
    for number, text in enumerate(shown):
        message = message.replace(f"\x00{number}\x00", text)
    return message
