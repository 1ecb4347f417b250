"""A built-in function runs as one call the deadline cannot interrupt: sizes are bounded instead.

Each case here ran for seconds, or allocated hundreds of MB, with a 100 ms limit before the bounds.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from errors import MappingError
from mapping import CompiledMapping

# These test the jsonata-python adapter (its messages, bounds and fixes); tests/test_mapping_engines.py
# holds what both engines must do alike.
pytestmark = pytest.mark.usefixtures("jsonata_python_engine")


def stopped(expression: str, data: Any, **bounds: Any) -> tuple[MappingError, float]:
    mapping = CompiledMapping.compile(expression, **{"timeout_ms": 100, **bounds})
    started = time.monotonic()
    with pytest.raises(MappingError) as caught:
        mapping.evaluate(data)
    return caught.value, time.monotonic() - started


def test_a_huge_range_is_refused_before_anything_iterates_it() -> None:
    # Was: ok after ~14 s (the library allows ranges of 10 million items).
    error, took = stopped("$sum([1..n])", {"n": 3_000_000})
    assert error.jsonata_code == "U1001"
    assert error.code == "mapping_evaluation_error"
    assert "the range [1..3000000] has 3000000 items, more than the limit of 100000 items" in error.message
    assert took < 0.1


def test_a_range_within_the_bound_still_works() -> None:
    mapping = CompiledMapping.compile("$count([1..n])", max_items=1000)
    assert mapping.evaluate({"n": 1000}) == 1000
    assert "1001 items" in stopped("$count([1..n])", {"n": 1001}, max_items=1000)[0].message


def test_pad_may_not_build_a_huge_string() -> None:
    # Was: ok, after allocating 200 MB.
    error, took = stopped('$length($pad("", n))', {"n": 200_000_000})
    assert error.jsonata_code == "U1001"
    assert error.message.startswith("mapping evaluation stopped at position 13: $pad would build a string")
    assert "more than the limit of 10000000 characters" in error.message
    assert took < 0.1
    assert CompiledMapping.compile('$pad("a", -5, "#")').evaluate(None) == "####a"


def test_join_and_replace_may_not_build_huge_strings() -> None:
    error, _ = stopped("$length($join(a, s))", {"a": ["x"] * 1000, "s": "y" * 100_000})
    assert "$join would build a string of 99901000 characters" in error.message
    error, _ = stopped('$length($replace(s, "a", r))', {"s": "a" * 10_000, "r": "b" * 10_000})
    assert "$replace could build a string" in error.message
    error, _ = stopped("$length($replace(s, /a/, r))", {"s": "a" * 10_000, "r": "$0" * 5_000})
    assert "$replace could build a string" in error.message
    assert CompiledMapping.compile('$replace("a-b-c", "-", "$0$0")').evaluate(None) == "a--b--c"
    assert CompiledMapping.compile('$join(["a", "b"], ", ")').evaluate(None) == "a, b"


def test_strings_doubled_by_concatenation_are_stopped() -> None:
    expression = '($f := function($s, $i) { $i = 0 ? $s : $f($s & $s, $i - 1) }; $length($f("x", n)))'
    error, _ = stopped(expression, {"n": 40}, max_items=1000)
    assert "a string of 131072 characters, more than the limit of 100000 characters" in error.message


def test_built_ins_are_not_given_huge_arrays() -> None:
    error, _ = stopped("$sum(a)", {"a": list(range(2000))}, max_items=1000)
    assert error.jsonata_code == "U1001"
    assert "$sum was given an array of 2000 items (argument 1), more than the limit of 1000" in error.message


def test_distinct_is_linear_and_keeps_the_library_semantics() -> None:
    # The library's $distinct compares each item with every kept one: 20,000 items took 1.7 s.
    mapping = CompiledMapping.compile("$count($distinct(a))", timeout_ms=1000)
    started = time.monotonic()
    assert mapping.evaluate({"a": list(range(20_000)) * 2}) == 20_000
    assert time.monotonic() - started < 0.5
    same = CompiledMapping.compile("$distinct(a)")
    assert same.evaluate({"a": [1, "1", {"x": 1}, {"x": 1}, [1], [1], 1, 2.5]}) == [
        1,
        "1",
        {"x": 1},
        [1],
        2.5,
    ]


def test_the_deadline_is_checked_when_a_node_ends_too() -> None:
    # No node starts after the slow call ($sum checks 100,000 items one by one, ~0.15 s): before,
    # the evaluation returned ok, late.
    error, _ = stopped("$sum([1..n])", {"n": 100_000}, timeout_ms=20)
    assert error.message.endswith("took longer than 20 ms; check for an infinite loop (U1001)")


def test_settings_carry_the_bound() -> None:
    from settings import load_settings

    assert load_settings({}).mapping_bounds == {
        "timeout_ms": 1000,
        "max_depth": 200,
        "max_items": 100_000,
        "max_events": 1000,
        "engine": "jlens",
        "max_memory_mb": 256,
    }
    other = load_settings({"INBOUND_MAPPING_ENGINE": "jsonata-python"})
    assert other.mapping_bounds["engine"] == "jsonata-python"
    assert load_settings({"INBOUND_MAPPING_MAX_ITEMS": "500"}).mapping_max_items == 500
