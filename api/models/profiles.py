"""Profiles as events made them, and finding one by identity."""

from __future__ import annotations

from api.models.base import OMITTED, ApiAnswer


class Profile(ApiAnswer):
    id: int = OMITTED
    kind: str = OMITTED
    value: str = OMITTED
    balance: int = OMITTED
    lifetime_points: int = OMITTED


class ProfileMatch(ApiAnswer):
    id: int = OMITTED
    kind: str = OMITTED
    value: str = OMITTED
    test: bool = OMITTED
    created_at: str = OMITTED
    balance: int = OMITTED
    lifetime_points: int = OMITTED
