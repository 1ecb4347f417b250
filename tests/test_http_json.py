"""Responses are strict JSON: no NaN or Infinity, and never a 500 because a value is one."""

from __future__ import annotations

import json

from api.http import dumps


def test_non_finite_numbers_are_written_as_null() -> None:
    data = {"a": float("inf"), "b": [float("nan"), 1.5, {"c": float("-inf")}], "d": 10**30}
    text = dumps(data).decode()
    assert json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name))) == {
        "a": None,
        "b": [None, 1.5, {"c": None}],
        "d": 10**30,
    }
    assert "Infinity" not in text and "NaN" not in text
