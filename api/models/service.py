"""What every answer can be: an error, the health check, this document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, RootModel

from api.models.base import OMITTED, ApiAnswer


class ErrorBody(ApiAnswer):
    code: str
    message: str
    details: Any = Field(OMITTED, description="extra facts, such as a position")


class Error(ApiAnswer):
    """Every error: a stable code and a message naming the field and the value."""

    error: ErrorBody


class Health(ApiAnswer):
    status: Literal["ok"]


class OpenAPI(RootModel[dict[str, Any]]):
    """This document."""
