"""Schema errors quote values as the sender wrote them: JSON, not Python."""

from __future__ import annotations

from event_types import schema_errors

SCHEMA = {
    "type": "object",
    "properties": {
        "counters": {
            "type": "object",
            "required": ["amount"],
            "additionalProperties": False,
            "properties": {"amount": {"type": "number", "minimum": 0}},
        },
        "tags": {"type": "object", "properties": {"currency": {"enum": ["EUR", "USD"]}}},
    },
}


def _payload(tags: dict[str, object], counters: dict[str, object]) -> dict[str, object]:
    return {
        "tags": [{"name": k, "value": v} for k, v in tags.items()],
        "counters": [{"name": k, "value": v} for k, v in counters.items()],
    }


def test_values_and_names_are_shown_as_json() -> None:
    errors = schema_errors(SCHEMA, _payload({"currency": "it's"}, {"other": 3}))
    assert errors == [
        'counters: Additional properties are not allowed ("other" was unexpected)',
        'counters: "amount" is a required property',
        'tags.currency: "it\'s" is not one of ["EUR", "USD"]',
    ]


def test_objects_and_booleans_are_json() -> None:
    schema = {"type": "object", "properties": {"counters": {"not": {"required": ["x"]}}}}
    assert schema_errors(schema, _payload({}, {"x": True})) == [
        'counters: {"x": true} should not be valid under {"required": ["x"]}'
    ]
    assert schema_errors(SCHEMA, _payload({}, {"amount": -1})) == [
        "counters.amount: -1 is less than the minimum of 0"
    ]
