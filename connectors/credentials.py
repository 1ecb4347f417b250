"""A connector's credentials (tokens and secrets) and the refusal raised when none fits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from errors import AuthenticationFailed

# The stable refusal codes, documented in docs/auth-methods.md.
REFUSAL_CODES = (
    "missing_token",
    "invalid_token",
    "missing_signature",
    "malformed_signature",
    "invalid_signature",
    "missing_timestamp",
    "timestamp_outside_tolerance",
    "replayed_signature",
    "no_active_credentials",
)


@dataclass(frozen=True)
class Credential:
    """One token or secret of a connector; several are active at once while rotating."""

    id: str
    value: str
    created_at: datetime
    test: bool = False  # a request authenticated by a test credential is test data

    def __repr__(self) -> str:  # never print the value, not even in a traceback
        return f"Credential(id={self.id!r}, test={self.test!r})"


def refuse(code: str, message: str) -> AuthenticationFailed:
    """Messages name headers, parameters and formats; never a secret, a token or the body."""
    assert code in REFUSAL_CODES, code
    return AuthenticationFailed(message, code=code)


def require_credentials(credentials: Sequence[Credential]) -> None:
    if not credentials:
        raise refuse(
            "no_active_credentials",
            "this connector has no active token or secret; add one: POST /api/connectors/{id}/credentials",
        )
