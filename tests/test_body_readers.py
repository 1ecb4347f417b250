"""Bodies are read by orjson, with the standard library's reader as the one of record: both must
give the same value, to the type (1 is not 1.0), or both refuse, for every body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.bodies import MAX_NESTING, loads, parse_json, strict_loads
from errors import MalformedBody

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


def same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=False) == json.dumps(b, sort_keys=False) and type(a) is type(b)


def outcome(reader: Any, text: str) -> Any:
    try:
        return ("value", json.dumps(reader(text)))
    except (ValueError, RecursionError) as exc:
        return (
            "refused",
            type(exc).__name__ if not isinstance(exc, json.JSONDecodeError) else "JSONDecodeError",
        )


@settings(max_examples=2000, deadline=None)
@given(values, st.booleans())
def test_both_readers_read_every_body_alike(value: Any, compact: bool) -> None:
    text = json.dumps(value, ensure_ascii=not compact, separators=(",", ":") if compact else None)
    assert same(loads(text), strict_loads(text))


HOSTILE = [
    "[1e400]", "[-1e400]", "NaN", "[Infinity]", "[-Infinity]", "18446744073709551616", "-9223372036854775809",
    "123456789012345678901234567890", "[0.1, 1.0, 1e2, -0, -0.0, 1E-400]", '["\\ud800"]', '["\\udc00"]',
    '["a\\ud800b"]', '{"\\ud800": 1}', '["\\ud83d\\ude00"]', '{"a": 1, "a": 2}', "\ufeff{}", '"\x01"',
    "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1), "[" * 2000 + "]" * 2000, "{", "[1,]", "", " ",
    '{"a": "\\u0000"}', "3.141592653589793238462643383279", "[1.7976931348623157e308]",
]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_bodies_get_the_same_answer_from_both(text: str) -> None:
    assert outcome(loads, text) == outcome(strict_loads, text)


def test_a_refused_body_still_names_what_and_where() -> None:
    with pytest.raises(MalformedBody) as refused:
        parse_json('{"amount": 1e400}')
    assert "1e400" in refused.value.message
    with pytest.raises(MalformedBody) as surrogate:
        parse_json('{"name": "a\\ud800"}')
    assert "surrogate" in surrogate.value.message


def test_big_integers_stay_exact() -> None:
    assert loads('{"id": 123456789012345678901234567890}') == {"id": 123456789012345678901234567890}
    assert loads("[-9223372036854775809]") == [-9223372036854775809]
