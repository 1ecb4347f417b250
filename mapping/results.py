"""What an evaluation returns, as plain JSON-like Python values.

The evaluator's result may hold its own list subclass (`JList`, with sequence flags) and the
`NULL_VALUE` sentinel it uses for JSON null. Its `convert_nulls` rewrites containers in place,
and a result can share containers with the caller's input, so we build fresh ones instead.
Numbers are left exactly as they are: ints of any size pass through unchanged.
"""

from __future__ import annotations

from typing import Any

from jsonata.utils import Utils


def to_plain(value: Any) -> Any:
    """JList -> list, NULL_VALUE -> None, dicts copied; other values (incl. functions) as they are."""
    if value is Utils.NULL_VALUE:
        return None
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    return value
