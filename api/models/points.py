"""Points by hand and the program's expiry policy."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from api.models.base import OMITTED, ApiAnswer, ApiInput
from api.models.fields import checked, problem, text, whole_or_null
from earning_rules.rewards import MAX_POINTS
from expiry.policy import AMOUNTS, Policy

MAX_REASON = 500  # characters of an adjustment's reason
MAX_ADMIN = 100


def _nonzero_points(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and 0 < abs(value) <= MAX_POINTS


class AdjustmentInput(ApiInput):
    """A manual + or − with a reason and the admin who made it."""

    body_is: ClassVar[str] = 'an object such as {"points": 25, "reason": "…", "admin": "…"}'

    points: Annotated[
        int,
        Field(ge=-MAX_POINTS, le=MAX_POINTS, description="not 0: positive adds, negative takes away"),
        checked(_nonzero_points, f"must be a whole number other than 0, from -{MAX_POINTS} to {MAX_POINTS}"),
    ]
    reason: Annotated[
        str,
        text(
            MAX_REASON, f'must say why, e.g. "goodwill for late delivery" (at most {MAX_REASON} characters)'
        ),
        Field(min_length=1, max_length=MAX_REASON),
        AfterValidator(str.strip),
    ]
    admin: Annotated[
        str,
        text(MAX_ADMIN, f"must name who makes the adjustment (at most {MAX_ADMIN} characters)"),
        Field(min_length=1, max_length=MAX_ADMIN),
        AfterValidator(str.strip),
    ]
    test: bool = False


class ExpiryPolicyInput(ApiInput):
    """When earned points expire: never, after `days`, at the end of the `months`-th month or the
    `years`-th year after they were earned (each kind takes its one amount)."""

    body_is: ClassVar[str] = 'an object such as {"kind": "days", "days": 365}'

    kind: Literal["never", "days", "end_of_month", "end_of_year"]
    days: Annotated[Annotated[int, Field(ge=1, le=36_500)] | None, whole_or_null(1, 36_500)] = None
    months: Annotated[Annotated[int, Field(ge=0, le=1_200)] | None, whole_or_null(0, 1_200)] = None
    years: Annotated[Annotated[int, Field(ge=0, le=100)] | None, whole_or_null(0, 100)] = None

    @property
    def _amount_field(self) -> str | None:
        """The one field this kind takes (None: `never` takes none)."""
        return AMOUNTS[self.kind][0] if self.kind in AMOUNTS else None

    @model_validator(mode="after")
    def _one_amount(self) -> ExpiryPolicyInput:
        wanted = self._amount_field
        for field in ("days", "months", "years"):
            if field != wanted and field in self.model_fields_set:
                takes = f"{self.kind} takes {wanted}" if wanted else "never takes no amount"
                raise problem(f"unknown field; {takes}", field=field)
        if wanted is not None and getattr(self, wanted) is None:
            _, low, high = AMOUNTS[self.kind]
            raise problem(f"is required: a whole number from {low} to {high}", field=wanted)
        return self

    def policy(self) -> Policy:  # the ranges above are expiry.policy.AMOUNTS' (a test compares)
        wanted = self._amount_field
        return Policy(self.kind, getattr(self, wanted)) if wanted else Policy()


# --- answers: what the API gives back (declared for /openapi.json) ---


class LedgerEntry(ApiAnswer):
    id: int = OMITTED
    points: int = OMITTED
    kind: Literal["award", "reversal", "adjustment"] = OMITTED
    occurred_at: datetime = OMITTED


class Ledger(ApiAnswer):
    items: list[LedgerEntry] = OMITTED
    next: Any = OMITTED
    balance: int = OMITTED
    lifetime_points: int = OMITTED


class Adjustment(ApiAnswer):
    entry_id: int = OMITTED
    points: int = OMITTED
    balance: int = OMITTED
    lifetime_points: int = OMITTED


class LedgerCheck(ApiAnswer):
    ok: bool = OMITTED
    mismatches: list[dict[str, Any]] = OMITTED


class ExpiryPolicy(ApiAnswer):
    policy: dict[str, Any] = OMITTED
    description: str = OMITTED


class ExpiryRun(ApiAnswer):
    members: int = OMITTED
    entries: int = OMITTED
    points: int = OMITTED
    rewards: int = OMITTED


class ExpiringLot(ApiAnswer):
    at: datetime = OMITTED
    points: int = OMITTED


class MemberExpiringDueNow(ApiAnswer):
    at: datetime = OMITTED
    points: int = OMITTED


class MemberExpiring(ApiAnswer):
    member_id: int = OMITTED
    test: bool = OMITTED
    balance: int = OMITTED
    policy: ExpiryPolicy = OMITTED
    expiring: list[ExpiringLot] = OMITTED
    due_now: list[MemberExpiringDueNow] = OMITTED
    never_expire: int = OMITTED
    debt: int = OMITTED
