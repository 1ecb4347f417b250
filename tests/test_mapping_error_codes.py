"""Plain Python exceptions out of jsonata-python become the JSONata code the reference raises."""

from __future__ import annotations

from typing import Any

import pytest

from errors import MappingError
from mapping import CompiledMapping

# These test the jsonata-python adapter (its messages, bounds and fixes); tests/test_mapping_engines.py
# holds what both engines must do alike.
pytestmark = pytest.mark.usefixtures("jsonata_python_engine")


def fails(expression: str, data: Any = None) -> MappingError:
    with pytest.raises(MappingError) as caught:
        CompiledMapping.compile(expression).evaluate(data)
    return caught.value


def test_number_of_a_non_numeric_string_is_d3030_with_the_call_position() -> None:
    error = fails("$number(amount)", {"amount": "x"})
    assert error.code == "mapping_evaluation_error"
    assert error.jsonata_code == "D3030"
    assert error.position == 8  # the engine's position for the call (just past the `(`)
    assert (
        error.message
        == "mapping evaluation error at position 8: $number: cannot cast 'x' to a number (D3030)"
    )


@pytest.mark.parametrize(
    ("expression", "data", "code", "text"),
    [
        ('$number("10e500")', None, "D3030", "$number: cannot cast '10e500' to a number"),
        ("$power(100, 1000)", None, "D3061", "$power: 100 to the power 1000 cannot be represented"),
        ("$power(-2, 1/3)", None, "D3061", "$power: -2 to the power"),
        ("$sort(xs)", {"xs": [{"a": 1}, {"a": 2}]}, "D3070", "$sort: without a comparison function"),
        ('$toMillis("foo")', None, "D3110", "$toMillis: 'foo' is not an ISO 8601 timestamp"),
        ("$toMillis('2018-05-22', '[Y]-[M]-[q]')", None, "D3132", "$toMillis: unknown component specifier q"),
        (
            "$toMillis('2018-22', '[Y]-[D]')",
            None,
            "D3136",
            "$toMillis: the date/time picture string is missing",
        ),
        ("$fromMillis(1, '[YN]-[M')", None, "D3135", "$fromMillis: no matching closing bracket"),
        ("$formatInteger(123456, 'α')", None, "D3130", "$formatInteger: formatting or parsing an integer"),
        ('$formatNumber(20, ".e0")', None, "D3085", "$formatNumber: both integer and fractional parts"),
        ("$decodeUrl('%E0%A4%A')", None, "D3140", "$decodeUrl: malformed URL '%E0%A4%A'"),
        ("$encodeUrlComponent('\\ud800')", None, "D3140", "$encodeUrlComponent: malformed URL"),
        (
            '$replace("hello", "", "bye")',
            None,
            "D3010",
            "$replace: the pattern (argument 2) cannot be empty"[:28],
        ),
        (
            '$replace("hello", "l", "1", -2)',
            None,
            "D3011",
            "$replace: the limit (argument 4) must be a positive",
        ),
        (
            '$replace("hello", "l", "1", null)',
            None,
            "T0410",
            "$replace: the limit (argument 4) must be a number",
        ),
        (
            '$split("a, b", ", ", null)',
            None,
            "T0410",
            "$split: the limit (argument 3) must be a number, not null",
        ),
        ("$split('some text', $uppercase)", None, "T1010", "$split: the matcher function (argument 2)"),
        ("$error(null)", None, "T0410", "$error: the message (argument 1) must be a string"),
        ("1/0", None, "D1001", "number out of range: division by zero"),
    ],
)
def test_library_exceptions_get_the_reference_code(expression: str, data: Any, code: str, text: str) -> None:
    error = fails(expression, data)
    assert error.code == "mapping_evaluation_error"
    assert error.jsonata_code == code
    assert error.position is not None
    assert f"at position {error.position}: {text}" in error.message
    assert error.message.endswith(f"({code})")
    assert "JSONata engine failed" not in error.message


def test_a_code_survives_the_or_operator_that_used_to_hide_it_as_unexpected() -> None:
    error = fails("$type(age) = 'number' or $number(age) > 0", {"age": "33 1/2"})
    assert error.jsonata_code == "D3030"
    assert "$number: cannot cast '33 1/2' to a number" in error.message


def test_an_exception_inside_a_callback_is_not_blamed_on_the_builtin_calling_it() -> None:
    error = fails("$map([1, 2], function($x) { $x / 0 })")
    assert error.jsonata_code == "D1001"
    assert "$map" not in error.message


def test_number_still_converts_what_it_converted() -> None:
    mapping = CompiledMapping.compile("[$number('12.50'), $number('0x1F'), $number(true), $number(3)]")
    assert mapping.evaluate(None) == [12.5, 31, 1, 3]


@pytest.mark.parametrize(
    ("expression", "code", "position", "text"),
    [
        ("[1!2]", "S0204", 3, "unknown operator: !"),
        ("1 /* no end", "S0106", 2, "comment has no closing tag"),
        ("λ($arg)<n<n>>{$arg}(5)", "S0401", None, "type parameters can only be applied"),
        ("λ($arr)<(sa<n>)>>{$arr}([[1]])", "S0402", None, "choice groups containing parameterized types"),
    ],
)
def test_parser_exceptions_get_the_reference_code(
    expression: str, code: str, position: int | None, text: str
) -> None:
    with pytest.raises(MappingError) as caught:
        CompiledMapping.compile(expression)
    error = caught.value
    assert error.code == "mapping_syntax_error"
    assert error.jsonata_code == code
    assert error.position == position
    assert text in error.message
