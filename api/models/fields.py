"""Field types shared by the admin API's models, each refusing a bad value in its own words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from errors import BadValue


def problem(text: str, **context: Any) -> PydanticCustomError:
    """A mistake in our own words; `shown` in the context replaces the value in the message
    (a secret is described by its length, never quoted)."""
    return PydanticCustomError("invalid", text, context or None)


def explain(text: str) -> WrapValidator:
    """Whatever the type check finds wrong is said as `text` (e.g. 'must be a list of origins')."""

    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            if any(error["loc"] for error in exc.errors()):
                raise  # a mistake inside (an item of a list): its own message is more precise
            raise problem(text) from None

    return WrapValidator(check)


def checked(test: Callable[[Any], bool], text: str) -> BeforeValidator:
    """Refuses a value `test` does not accept, before any conversion."""

    def check(value: Any) -> Any:
        if not test(value):
            raise problem(text)
        return value

    return BeforeValidator(check)


def text(max_length: int, what: str | None = None) -> BeforeValidator:
    """A non-empty text of at most `max_length` characters, without NUL (PostgreSQL cannot hold
    it). Pair it with `Field(min_length=1, max_length=…)` so /openapi.json says so too."""
    words = what or f"must be a non-empty text of at most {max_length} characters"

    def fits(value: Any) -> bool:
        return (
            isinstance(value, str)
            and bool(value.strip())
            and len(value) <= max_length
            and "\x00" not in value
        )

    return checked(fits, words)


def refused(text: str) -> BeforeValidator:
    """A field that is known but not accepted here: saying why beats 'unknown field'."""

    def check(value: Any) -> Any:
        raise problem(text, shown="")

    return BeforeValidator(check)


def text_or_null(max_length: int, what: str | None = None) -> BeforeValidator:
    """A text of at most `max_length` characters (empty allowed, no NUL), or null."""
    words = what or f"must be a text of at most {max_length} characters, or null"

    def fits(value: Any) -> bool:
        if value is None:
            return True
        return isinstance(value, str) and len(value) <= max_length and "\x00" not in value

    return checked(fits, words)


def whole(minimum: int, maximum: int, what: str | None = None) -> BeforeValidator:
    """A whole number in a range (2.0 is not one: JSON callers send 2). Pair it with Field(ge, le)."""

    def fits(value: Any) -> bool:
        return not isinstance(value, bool) and isinstance(value, int) and minimum <= value <= maximum

    return checked(fits, what or f"must be a whole number from {minimum} to {maximum}")


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise problem("must be a time with its offset, e.g. 2026-12-24T00:00:00+01:00")
    return parsed.astimezone(UTC)


def _image_url(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, str) or len(value) > 2000 or "\x00" in value:
        return False
    return urlsplit(value).scheme in ("http", "https", "data")


# An instant with its offset, kept in UTC; null clears it.
InstantOrNull = Annotated[
    datetime | None,
    BeforeValidator(_instant),
    WithJsonSchema({"type": ["string", "null"], "format": "date-time"}),
]
Name = Annotated[str, text(200), Field(min_length=1, max_length=200), AfterValidator(str.strip)]
# Constraints sit on the text inside the "or null": null has no length.
Description = Annotated[Annotated[str, Field(max_length=2000)] | None, text_or_null(2000)]
ImageUrl = Annotated[
    Annotated[str, Field(max_length=2000, description="an http(s):// or data: URL")] | None,
    checked(_image_url, "must be an http(s):// or data: URL, or null"),
]
Note = Annotated[
    Annotated[str, Field(max_length=500)] | None,
    text_or_null(500, "must be a text of at most 500 characters"),
]


def an_id(words: str) -> BeforeValidator:
    """An id of something (up to 40 characters; pair with Field(min_length=1, max_length=40));
    whether it exists is the handler's to say."""

    def fits(value: Any) -> bool:
        return isinstance(value, str) and 0 < len(value) <= 40 and "\x00" not in value

    return checked(fits, words)


def whole_or_null(minimum: int, maximum: int, what: str | None = None) -> BeforeValidator:
    """A whole number in a range, or null (none: no limit)."""

    def fits(value: Any) -> bool:
        if value is None:
            return True
        return not isinstance(value, bool) and isinstance(value, int) and minimum <= value <= maximum

    return checked(fits, what or f"must be a whole number from {minimum} to {maximum}, or null")


def by(check: Callable[[Any], Any]) -> BeforeValidator:
    """A domain package's own check (it raises BadValue), said in the API's one format."""

    def run(value: Any) -> Any:
        try:
            return check(value)
        except BadValue as exc:
            raise problem(exc.problem) from None

    return BeforeValidator(run)
