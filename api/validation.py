"""Reading a request body through its model, and the one formatter for what is wrong with it.

Every mistake reads `field: value problem`, e.g. `mode: "tset" is not one of live, test` or
`allowedOrigins[0]: 5 must be an origin such as "https://shop.example.com" or "*"`; the console
shows it next to the field the message starts with. The first mistake is reported (an unknown
field before the others: it often explains them), with the error code of the resource.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from earning_rules.validate import show
from errors import InvalidInput

M = TypeVar("M", bound=BaseModel)

# Problems in the words the rest of the API uses; {…} are the error's context values.
_PROBLEMS = {
    "string_type": "must be a text",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "decimal_type": "must be a number",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "string_too_short": "must not be empty",
    "string_too_long": "is too long; the most is {max_length} characters",
    "too_long": "has too many items; the most is {max_length}",
    "too_short": "needs at least {min_length} item(s)",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be greater than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "missing": "is required",
}
_WITHOUT_VALUE = {"missing", "extra_forbidden"}


def read_input(model: type[M], data: Any, *, code: str) -> M:
    """`data` (parsed JSON) as `model`, or InvalidInput naming the first mistake."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(message_of(model, exc.errors(include_url=False)), code=code) from None


def message_of(model: type[BaseModel], errors: Sequence[ErrorDetails]) -> str:
    error = min(errors, key=lambda e: e["type"] != "extra_forbidden")  # stable: first of its kind
    loc, context = error["loc"], error.get("ctx") or {}
    if not loc and "field" in context:  # a check of several fields, told which one to name
        return _line(context["field"], context.get("shown", ""), _problem(error))
    if not loc:
        body_is = getattr(model, "body_is", "a JSON object")
        return f"body: expected {body_is}; got {show(error['input'])}"
    field = path_of(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{field}: unknown field; expected one of {', '.join(_aliases_at(model, loc[:-1]))}"
    problem = _problem(error)
    if kind in _WITHOUT_VALUE:
        return f"{field}: {problem}"
    return _line(field, context["shown"] if "shown" in context else show(error["input"]), problem)


def _line(field: str, shown: str, problem: str) -> str:
    return f"{field}: {shown} {problem}" if shown else f"{field}: {problem}"


def path_of(loc: Sequence[int | str]) -> str:
    """('allowedOrigins', 0, 'x') -> allowedOrigins[0].x, the way the console's fields are named."""
    path = ""
    for part in loc:
        if part == "[key]":
            continue  # an object's key: the path already ends with it
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _problem(error: ErrorDetails) -> str:
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "literal_error":
        return "is not one of " + ", ".join(re.findall(r"'([^']*)'", str(context.get("expected", ""))))
    if kind in _PROBLEMS:
        return _PROBLEMS[kind].format(**context)
    message = error["msg"]
    return message[0].lower() + message[1:] if message else kind  # our own (custom) problems


def _aliases_at(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The fields a nested object at `loc` may have, by their JSON names."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = {(info.alias or name): info for name, info in current.model_fields.items()}
        annotation = fields[part].annotation if part in fields else None
        current = _model_in(annotation)
        if current is None:
            return []
    return sorted(info.alias or name for name, info in current.model_fields.items())


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
