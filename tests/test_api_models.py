"""Every admin API input model, fed awkward values field by field: it accepts a value or refuses it
with the one error format (field first), and never fails any other way (a 500 in the API)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from api.models.base import ApiInput
from api.validation import read_input
from errors import InvalidInput
from openapi.components import MODELS

INPUTS = [m for m in MODELS if issubclass(m, ApiInput)]
AWKWARD: list[Any] = [
    None, "", " ", "x", "\x00", "é" * 5000, 0, -1, 1, 2**70, 1.5, float("nan"), True, False,
    [], [None], [{}], ["x"], {}, {"x": None}, {"": 1}, "2026-12-01T00:00:00Z",
]  # fmt: skip


def _aliases(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


@pytest.mark.parametrize("model", INPUTS, ids=lambda m: m.__name__)
def test_awkward_values_are_accepted_or_refused_by_name(model: type[ApiInput]) -> None:
    for field in _aliases(model):
        for value in AWKWARD:
            try:
                read_input(model, {field: value}, code="invalid_input")
            except InvalidInput as exc:
                head = exc.message.split(":", 1)[0]
                assert (head and " " not in head.strip()) or head.startswith(("body", "eventId, body")), (
                    exc.message
                )
                assert len(exc.message) < 600, exc.message


@pytest.mark.parametrize("model", INPUTS, ids=lambda m: m.__name__)
def test_a_body_that_is_not_an_object_says_what_was_expected(model: type[ApiInput]) -> None:
    bodies: tuple[Any, ...] = (None, [], "x", 5)
    for body in bodies:
        with pytest.raises(InvalidInput, match=r"^body: expected .+; got "):
            read_input(model, body, code="invalid_input")


@pytest.mark.parametrize("model", INPUTS, ids=lambda m: m.__name__)
def test_an_unknown_field_is_named_first_with_the_fields_there_are(model: type[ApiInput]) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_input(model, {"nosuchfield": 1, **dict.fromkeys(_aliases(model), 12345)}, code="invalid_input")
    assert caught.value.message.startswith("nosuchfield: unknown field; expected one of ")
    assert _aliases(model)[0] in caught.value.message


def test_the_document_uses_json_schema_words_only() -> None:
    # A constraint pydantic cannot place (after a validator) is written as its own keyword (`ge`):
    # no JSON Schema reader knows it, so the bound would silently not be shown.
    from openapi.components import model_schemas

    stray: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("ge", "le", "gt", "lt", "min_length", "max_length", "multiple_of"):
                    stray.append(f"{path}.{key}")
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, path)

    walk(model_schemas(), "")
    assert not stray
    assert not [name for name in model_schemas() if name.endswith(("-Input", "-Output"))]
