"""The two kinds of admin API model: what a caller sends, and what the API answers."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel


class ApiInput(BaseModel):
    """A request body. Strict: "5" is not 5 and 1 is not true; an unknown field is refused, since
    a typo that silently did nothing would be worse than an error."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        extra="forbid",
        strict=True,
        frozen=True,
    )
    # What the body holds, for the error a body that is not an object gets.
    body_is: ClassVar[str] = "a JSON object with the settings"


class ApiAnswer(BaseModel):
    """An answer's declaration: what /openapi.json promises and the tests hold the API to."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


def partial_of(
    model: type[BaseModel], name: str, doc: str, *, drop: tuple[str, ...] = (), **more: Any
) -> type[BaseModel]:
    """The same fields, none required and none defaulted: a PATCH changes only what it names
    (read it with `sent`), and a field it names must still be valid (null is not "leave it").
    The partial model has the model's own base (its configuration), not the model's checks."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        if field_name in drop:
            continue
        optional = Field(None, alias=info.alias, description=info.description)
        fields[field_name] = (info.rebuild_annotation(), optional)
    fields.update(more)
    partial: type[BaseModel] = create_model(name, __base__=model.__bases__[0], __doc__=doc, **fields)
    if issubclass(partial, ApiInput) and issubclass(model, ApiInput):
        partial.body_is = model.body_is
    return partial


def sent(model: BaseModel) -> dict[str, Any]:
    """Only the fields the caller sent, by attribute (column) name."""
    return {name: getattr(model, name) for name in model.model_fields_set}


def every(model: BaseModel) -> dict[str, Any]:
    """Every field, sent or defaulted, by attribute (column) name; nested models stay models."""
    return {name: getattr(model, name) for name in type(model).model_fields}


# An answer's field declared `= OMITTED` may be left out of some answers (it is not required in
# /openapi.json); it is never null unless its type says so.
OMITTED: Any = None
