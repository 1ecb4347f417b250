"""What every mapping engine must do alike (INBOUND_MAPPING_ENGINE): results, errors, bounds.

The adapter tests of each engine's own fixes live beside this (test_mapping_engine.py and others
for jsonata-python); the official suite runs on both (test_jsonata_conformance.py). The
differential test maps every example connector's requests and every worked example of
docs/mapping.md with both engines: the answers must be the same.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from connectors.bodies import parse_body
from errors import MappingError
from mapping import CompiledMapping
from mapping.engine import ENGINES, check_engine
from tests.test_mapping_docs import examples as doc_examples

ROOT = Path(__file__).resolve().parent.parent
BIG = 12345678901234567890123  # far above 2**53: a float would lose digits


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def compile_on(engine: str, expression: str, **bounds: int) -> CompiledMapping:
    return CompiledMapping.compile(expression, engine=engine, **bounds)


def fails(engine: str, expression: str, data: Any = None, **bounds: int) -> MappingError:
    with pytest.raises(MappingError) as caught:
        compile_on(engine, expression, **bounds).evaluate(data)
    return caught.value


def test_big_integers_stay_exact(engine: str) -> None:
    mapping = compile_on(
        engine, '{"id": id, "ids": [id, nested.id], "text": "ord-" & $string(id), "same": $}'
    )
    data = {"id": BIG, "nested": {"id": -BIG}}
    result = mapping.evaluate(data)
    assert result["id"] == BIG and result["ids"] == [BIG, -BIG] and result["same"] == data
    # As text: jlens keeps every digit; jsonata-python writes it as JavaScript would (1.2…e+22).
    expected = f"ord-{BIG}" if engine == "jlens" else "ord-1.23456789012346e+22"
    assert result["text"] == expected


def test_bindings_are_visible(engine: str) -> None:
    mapping = compile_on(engine, '{"sig": $headers."x-sig", "tag": $query.tag, "c": $connector.id}')
    bindings = {"headers": {"x-sig": "s"}, "query": {"tag": "t"}, "connector": {"id": "con_1"}}
    assert mapping.evaluate({}, bindings) == {"sig": "s", "tag": "t", "c": "con_1"}


def test_syntax_errors_name_the_code_and_position(engine: str) -> None:
    with pytest.raises(MappingError) as caught:
        compile_on(engine, '{"a": (1 + }')
    error = caught.value
    assert error.code == "mapping_syntax_error"
    assert error.jsonata_code is not None and error.jsonata_code.startswith("S0")
    assert error.position is not None and f"at position {error.position}" in error.message


def test_runtime_errors_name_the_code_and_position(engine: str) -> None:
    error = fails(engine, '{"a": 1 + "x"}')
    assert (error.code, error.jsonata_code) == ("mapping_evaluation_error", "T2002")
    assert error.position is not None


@pytest.mark.parametrize(
    ("expression", "code"),
    [('$number("abc")', "D3030"), ("$sum(x)", "T0412"), ("$notAFunction(1)", "T1006")],
)
def test_the_reference_codes(engine: str, expression: str, code: str) -> None:
    assert fails(engine, expression, {"x": [1, "a"]}).jsonata_code == code


@pytest.mark.parametrize(
    ("expression", "data"),
    [
        ("[1..n]", {"n": 10_000_000}),  # a huge range
        ('$pad("", n, "x")', {"n": 50_000_000}),  # a huge string
        ('$count([1..100000].($pad("", 9000000, "x")))', None),  # memory, one built-in at a time
        ('$count([1..100000].($pad("", 900000, "x")))', None),  # each step just within the bounds
        ("($f := function($n){$f($n + 1)}; $f(1))", None),  # no end
        ("($f := function($n){$n > 0 ? 1 + $f($n - 1) : 0}; $f(100000))", None),  # too deep
        ("$match(s, /^(a|a)+$/)", {"s": "a" * 28 + "b"}),  # a regex that backtracks
    ],
)
def test_runaway_mappings_stop_with_u1001_in_bounded_time(engine: str, expression: str, data: Any) -> None:
    started = time.monotonic()
    error = fails(engine, expression, data, timeout_ms=500)
    assert error.jsonata_code == "U1001", error.message
    assert time.monotonic() - started < 2.0  # the 500 ms bound, give or take one short step


def test_deeply_nested_input_is_a_clean_failure(engine: str) -> None:
    data: Any = 1
    for _ in range(5000):
        data = {"a": data}
    error = fails(engine, "$", data)
    assert error.jsonata_code == "U1001"


def test_an_unknown_engine_is_named() -> None:
    with pytest.raises(MappingError, match="INBOUND_MAPPING_ENGINE: 'rhino'"):
        check_engine("rhino")


# --- the same answers on every example and doc mapping ----------------------------------------


def _example_cases() -> list[tuple[str, str, Any, dict[str, Any]]]:
    cases = []
    for path in sorted(ROOT.glob("examples/*/example.json")):
        example = json.loads(path.read_text())
        for number, request in enumerate(example["requests"]):
            headers = {k.lower(): v for k, v in request.get("headers", {}).items()}
            body = (
                request["bodyText"].encode()
                if "bodyText" in request
                else json.dumps(request["body"]).encode()
            )
            for index, raw in enumerate(parse_body(body, headers.get("content-type"), max_items=1000)):
                bindings = {"headers": headers, "query": request.get("query", {}), "connector": {"id": "c"}}
                cases.append(
                    (f"{path.parent.name}[{number}][{index}]", example["connector"]["mapping"], raw, bindings)
                )
    for title, blocks in sorted(doc_examples().items()):
        request = json.loads(blocks.get("json request", "{}"))
        bindings = {"headers": request.get("headers", {}), "query": request.get("query", {}), "connector": {}}
        cases.append((f"docs: {title}", blocks["jsonata"], json.loads(blocks["json input"]), bindings))
    return cases


CASES = _example_cases()


@pytest.mark.parametrize(("name", "expression", "raw", "bindings"), CASES, ids=[c[0] for c in CASES])
def test_every_example_maps_the_same_on_every_engine(
    name: str, expression: str, raw: Any, bindings: dict[str, Any]
) -> None:
    answers = {}
    for each in ENGINES:
        try:
            answers[each] = compile_on(each, expression).evaluate(raw, bindings)
        except MappingError as error:
            answers[each] = ("error", error.jsonata_code)
    first, *others = answers.values()
    assert all(other == first for other in others), answers


def test_the_engine_is_a_setting_and_a_wrong_one_is_refused_at_start() -> None:
    from errors import InvalidInput
    from settings import load_settings

    assert load_settings({}).mapping_engine == "jlens"
    with pytest.raises(InvalidInput, match="INBOUND_MAPPING_ENGINE: 'rhino'"):
        load_settings({"INBOUND_MAPPING_ENGINE": "rhino"})


def test_big_integers_in_bindings_and_long_digit_strings(engine: str) -> None:
    mapping = compile_on(engine, '{"n": $connector.n, "card": card, "small": small}')
    data = {"card": "1234567890123456789", "small": 2**53}
    assert mapping.evaluate(data, {"connector": {"n": BIG}}) == {
        "n": BIG,
        "card": data["card"],
        "small": 2**53,
    }
