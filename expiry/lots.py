"""The lots of one member's ledger (live or test): which earned points are still there, and when
each expires. Derived from the entries, never stored: the ledger stays the one truth.

Entries are taken in the order they were written. Each positive entry opens a lot (expiring
per the policy, from when it was earned); a refund of a purchase reopens the lots the purchase
had spent, with their own expiry (buying and cancelling never makes points last longer). Each
negative entry takes points from the lots: a reversal from the award it reverses first, then
the lot that expires soonest (the oldest points go first). An `expiry` entry takes the points of
the lots that had expired by its time. What a negative entry cannot find is a debt, paid first
by the next points earned. So the open lots minus the debt always add up to the balance; what
can go wrong is an expiry entry taking more than had expired (`problems`), which the ledger
check reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from expiry.policy import Policy

FAR = datetime.max.replace(tzinfo=None)


@dataclass(frozen=True)
class Entry:
    id: int
    points: int
    kind: str
    occurred_at: datetime
    created_at: datetime
    reverses_entry_id: int | None = None


@dataclass
class Lot:
    entry_id: int
    earned_at: datetime
    expires_at: datetime | None
    remaining: int

    def order(self) -> tuple[datetime, datetime, int]:
        # Soonest to expire first; never-expiring ones last; then the oldest.
        expires = self.expires_at.replace(tzinfo=None) if self.expires_at else FAR
        return (expires, self.earned_at.replace(tzinfo=None), self.entry_id)


@dataclass
class Lots:
    open: list[Lot] = field(default_factory=list)
    debt: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(lot.remaining for lot in self.open) - self.debt

    def expired_by(self, at: datetime) -> dict[datetime, int]:
        """Points of the lots that have expired by `at` and are still open: {expiry instant: points}."""
        due: dict[datetime, int] = {}
        for lot in self.open:
            if lot.expires_at is not None and lot.expires_at <= at and lot.remaining > 0:
                due[lot.expires_at] = due.get(lot.expires_at, 0) + lot.remaining
        return dict(sorted(due.items()))

    def upcoming(self, after: datetime) -> list[tuple[datetime, int]]:
        """What expires when, after `after`: [(instant, points)], soonest first."""
        due: dict[datetime, int] = {}
        for lot in self.open:
            if lot.expires_at is not None and lot.expires_at > after and lot.remaining > 0:
                due[lot.expires_at] = due.get(lot.expires_at, 0) + lot.remaining
        return sorted(due.items())


def allocate(
    entries: Iterable[Entry], policy: Policy, tz: tzinfo, refunds: Mapping[int, int] | None = None
) -> Lots:
    """The lots after `entries` (any order: they are taken by when they were written).
    `refunds`: {refund entry id: the purchase entry it gives back}."""
    lots = Lots()
    spent: dict[int, list[tuple[datetime | None, datetime, int]]] = {}  # entry -> lots it took from
    for entry in sorted(entries, key=lambda e: (e.created_at, e.id)):
        if entry.points > 0:
            given_back = spent.get((refunds or {}).get(entry.id, -1))
            _earn(lots, entry, policy, tz, given_back)
        elif entry.points < 0:
            spent[entry.id] = _take(lots, entry)
    lots.open = [lot for lot in lots.open if lot.remaining > 0]
    return lots


def _earn(
    lots: Lots,
    entry: Entry,
    policy: Policy,
    tz: tzinfo,
    given_back: list[tuple[datetime | None, datetime, int]] | None,
) -> None:
    pieces: list[tuple[datetime | None, datetime, int]] = []
    left = entry.points
    for expires, earned, amount in given_back or []:  # the purchase's own lots, as they were
        part = min(amount, left)
        if part > 0:
            pieces.append((expires, earned, part))
            left -= part
    if left > 0:
        pieces.append((policy.expires_at(entry.occurred_at, tz), entry.occurred_at, left))
    for expires, earned, amount in pieces:
        paid = min(lots.debt, amount)  # points earned pay a debt first
        lots.debt -= paid
        if amount - paid > 0:
            lots.open.append(Lot(entry.id, earned, expires, amount - paid))


def _take(lots: Lots, entry: Entry) -> list[tuple[datetime | None, datetime, int]]:
    wanted = -entry.points
    if entry.kind == "expiry":
        candidates = [
            lot for lot in lots.open if lot.expires_at is not None and lot.expires_at <= entry.occurred_at
        ]
        available = sum(lot.remaining for lot in candidates)
        if wanted > available:
            lots.problems.append(
                f"expiry entry {entry.id} took {wanted} points but only {available} had expired by "
                f"{entry.occurred_at.isoformat()}"
            )
    else:
        first = [lot for lot in lots.open if lot.entry_id == entry.reverses_entry_id]
        candidates = first + sorted((lot for lot in lots.open if lot not in first), key=Lot.order)
    took: list[tuple[datetime | None, datetime, int]] = []
    for lot in sorted(candidates, key=Lot.order) if entry.kind == "expiry" else candidates:
        if wanted == 0:
            break
        part = min(lot.remaining, wanted)
        if part > 0:
            lot.remaining -= part
            wanted -= part
            took.append((lot.expires_at, lot.earned_at, part))
    if wanted > 0 and entry.kind == "expiry":  # over-expiry (a problem above): from any lot
        for lot in sorted(lots.open, key=Lot.order):
            part = min(lot.remaining, wanted)
            lot.remaining -= part
            wanted -= part
    lots.debt += wanted
    lots.open = [lot for lot in lots.open if lot.remaining > 0]
    return took
