"""The components of /openapi.json: every pydantic model the admin API declares in api/models/.

Inputs are described as they are validated; answers (ApiAnswer) as they are written. A model is
a component under its class name, so each name must be used once (a test checks).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

from pydantic import BaseModel, RootModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

import api.models
from api.models.base import ApiAnswer, ApiInput
from api.models.rules import RulePart

_BASES = (BaseModel, ApiAnswer, ApiInput, RulePart, RootModel)


def _declared() -> tuple[type[BaseModel], ...]:
    found: dict[int, type[BaseModel]] = {}
    for info in pkgutil.iter_modules(api.models.__path__):
        module = importlib.import_module(f"api.models.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel) and value not in _BASES:
                found.setdefault(id(value), value)
    return tuple(sorted(found.values(), key=lambda m: m.__name__))


MODELS = _declared()


def page_of(name: str) -> dict[str, Any]:
    """A list answer: `items`, and `next` to ask for the page after it."""
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref(name)},
            "next": {"type": ["string", "integer", "null"]},
        },
    }


def ref(name: str) -> dict[str, str]:
    assert name in model_schemas(), f"no model declares the component {name!r}"
    return {"$ref": f"#/components/schemas/{name}"}


@cache
def model_schemas() -> dict[str, Any]:
    names = [m.__name__ for m in MODELS]
    assert len(set(names)) == len(names), "two models share a name: " + str(sorted(names))
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "serialization" if issubclass(m, ApiAnswer) else "validation") for m in MODELS
    ]
    _, document = models_json_schema(pairs, by_alias=True, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = document.get("$defs", {})
    for schema in schemas.values():
        schema.pop("title", None)  # the component's name says it
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
            if "default" in prop and prop["default"] is None:
                del prop["default"]  # "left out", not a value to send
    return schemas
