"""The typed errors every package raises. `app.py` maps them to HTTP status codes in one table.

Each error carries a stable machine `code` and a message for people that names the field and
the bad value. Packages subclass these; they never raise bare exceptions for expected failures.
"""

from __future__ import annotations

from typing import Any


class InboundError(Exception):
    """Base of all expected failures. `code` is stable and documented; `message` is for people."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        # Messages quote what callers sent, and are stored (reasons, the request log): a NUL,
        # which PostgreSQL text cannot hold, is written as its JSON escape on every database.
        message = message.replace("\x00", "\\u0000")
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class InvalidInput(InboundError):
    """The caller sent something malformed (400/422 depending on where)."""

    code = "invalid_input"


class BadValue(ValueError):
    """A value a domain check refuses. `problem` follows the value in the message the API gives
    (`url: "ftp://x" must be an http:// or https:// URL with a host`); the API adds field and value."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class NotFound(InboundError):
    code = "not_found"


class Forbidden(InboundError):
    """Understood, and refused: e.g. a CORS preflight from an origin the connector does not allow."""

    code = "forbidden"


class MethodNotAllowed(InboundError):
    code = "method_not_allowed"


class Conflict(InboundError):
    code = "conflict"


class AuthenticationFailed(InboundError):
    """A request to a connector was refused. The message names the reason, never the secret."""

    code = "authentication_failed"


class PayloadTooLarge(InboundError):
    code = "payload_too_large"

    def __init__(self, message: str, *, body_bytes: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.body_bytes = body_bytes  # declared or read before the refusal, for the request log


class UnsupportedMediaType(InboundError):
    code = "unsupported_media_type"


class MalformedBody(InboundError):
    code = "malformed_body"


class MappingError(InboundError):
    """A JSONata mapping failed to compile or evaluate, or returned the wrong shape.

    `jsonata_code` is the JSONata error code (`S0201`, `T2001` …) when there is one, `position`
    the character offset in the expression, `path` the field of the mapped event at fault.
    """

    code = "mapping_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        jsonata_code: str | None = None,
        position: int | None = None,
        path: str | None = None,
    ) -> None:
        details = {
            k: v
            for k, v in {"jsonata_code": jsonata_code, "position": position, "path": path}.items()
            if v is not None
        }
        super().__init__(message, code=code, details=details or None)
        self.jsonata_code = jsonata_code
        self.position = position
        self.path = path


class SkippedByMapping(MappingError):
    """The mapping said this raw event earns nothing, on purpose (`{"skip": "<reason>"}`): stored as
    `skipped` with the reason, never `failed`, and not picked by a replay of failures."""

    code = "skipped"


class InvalidRule(InboundError):
    """An earning rule definition is invalid; the message names the field and value."""

    code = "invalid_rule"


# The one table from error class to HTTP status. A subclass inherits its parent's status.
class RateLimited(InboundError):
    """Over a rate limit: answered 429 with Retry-After (seconds)."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


STATUS: dict[type[InboundError], int] = {
    InvalidInput: 422,
    MalformedBody: 400,
    NotFound: 404,
    Forbidden: 403,
    MethodNotAllowed: 405,
    Conflict: 409,
    AuthenticationFailed: 401,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    MappingError: 422,
    InvalidRule: 422,
    RateLimited: 429,
}


def status_of(exc: InboundError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400
