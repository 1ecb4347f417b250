"""The JSONata adapter: compile once, and every evaluation bounded, isolated and failing cleanly."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from errors import MappingError
from mapping import CompiledMapping, compile_cached

# These test the jsonata-python adapter (its messages, bounds and fixes); tests/test_mapping_engines.py
# holds what both engines must do alike.
pytestmark = pytest.mark.usefixtures("jsonata_python_engine")

BIG = 12345678901234567890123  # far above 2**53: a float would lose digits


def fails(expression: str, data: Any = None, **bounds: Any) -> MappingError:
    mapping = CompiledMapping.compile(expression, **bounds)
    with pytest.raises(MappingError) as caught:
        mapping.evaluate(data)
    return caught.value


# --- compiling -------------------------------------------------------------------------------


def test_syntax_error_names_position_and_code() -> None:
    with pytest.raises(MappingError) as caught:
        CompiledMapping.compile('{"a": (1 }')
    error = caught.value
    assert error.code == "mapping_syntax_error"
    assert (error.jsonata_code, error.position) == ("S0202", 10)
    assert error.message == "mapping syntax error at position 10: expected ), got } (S0202)"
    assert error.to_json()["error"]["details"] == {"jsonata_code": "S0202", "position": 10}


@pytest.mark.parametrize(
    ("expression", "code"),
    [("", "S0207"), ("(", "S0203"), ('"abc', "S0101"), ("/ab", "S0302"), ("$x := ", "S0207")],
)
def test_every_syntax_error_is_a_mapping_error(expression: str, code: str) -> None:
    with pytest.raises(MappingError) as caught:
        CompiledMapping.compile(expression)
    assert caught.value.code == "mapping_syntax_error"
    assert caught.value.jsonata_code == code


def test_parser_crashes_become_syntax_errors() -> None:
    # jsonata-python raises KeyError / IndexError from its tokenizer for these.
    for expression in ["[1!2]", "1 /* unterminated comment\n"]:
        with pytest.raises(MappingError) as caught:
            CompiledMapping.compile(expression)
        assert caught.value.code == "mapping_syntax_error"
        assert caught.value.message.startswith("mapping syntax error")


def test_absurdly_nested_expression_is_a_syntax_error() -> None:
    with pytest.raises(MappingError) as caught:
        CompiledMapping.compile("(" * 20_000 + "1" + ")" * 20_000)
    assert caught.value.code == "mapping_syntax_error"


def test_compile_cached_reuses_by_expression_and_bounds() -> None:
    first = compile_cached("a", timeout_ms=1000, max_depth=200)
    assert compile_cached("a", timeout_ms=1000, max_depth=200) is first
    assert compile_cached("a", timeout_ms=500, max_depth=200) is not first
    assert compile_cached("b", timeout_ms=1000, max_depth=200) is not first


# --- evaluating --------------------------------------------------------------------------------


def test_results_are_plain_json_values() -> None:
    result = CompiledMapping.compile('{"list": [a, b], "n": null}').evaluate({"a": 1, "b": 2})
    assert result == {"list": [1, 2], "n": None}
    assert type(result["list"]) is list  # not the engine's list subclass


def test_undefined_and_null_are_none() -> None:
    assert CompiledMapping.compile("missing").evaluate({"a": 1}) is None
    assert CompiledMapping.compile("a").evaluate({"a": None}) is None
    assert CompiledMapping.compile("$exists(a)").evaluate({"a": None}) is True


def test_a_top_level_array_is_one_input() -> None:
    assert CompiledMapping.compile("$count($)").evaluate([1, 2, 3]) == 3
    assert CompiledMapping.compile("$[1]").evaluate([1, 2, 3]) == 2


def test_big_integers_pass_through_exactly() -> None:
    mapping = CompiledMapping.compile('{"id": id, "ids": [id, nested.id], "same": $}')
    data = {"id": BIG, "nested": {"id": -BIG}}
    assert mapping.evaluate(data) == {"id": BIG, "ids": [BIG, -BIG], "same": data}


def test_result_does_not_share_containers_with_the_input() -> None:
    data = {"a": {"b": [1]}}
    result = CompiledMapping.compile("$").evaluate(data)
    result["a"]["b"].append(2)
    assert data == {"a": {"b": [1]}}


def test_bindings_are_visible_and_do_not_outlive_the_call() -> None:
    mapping = CompiledMapping.compile("$exists($token) ? $token : 'none'")
    assert mapping.evaluate({}, {"token": "t1"}) == "t1"
    assert mapping.evaluate({}) == "none"


def test_top_level_assignments_do_not_leak_into_the_next_call() -> None:
    # Without bindings jsonata-python evaluates in the instance's shared frame, so `$seen`
    # assigned by one call would still be set in the next.
    mapping = CompiledMapping.compile('$seen := ($exists($seen) ? "leaked" : "fresh")')
    assert [mapping.evaluate({}) for _ in range(3)] == ["fresh"] * 3


def test_now_is_the_time_of_the_evaluation() -> None:
    mapping = CompiledMapping.compile("$millis()")
    # jsonata-python reads $millis() from the thread's "current instance", which parsing any
    # expression replaces; unguarded, this would return the time "1 + 1" was parsed.
    CompiledMapping.compile("1 + 1")
    time.sleep(0.05)
    before = int(time.time() * 1000)
    assert mapping.evaluate(None) >= before - 1


def test_eval_and_higher_order_functions_work() -> None:
    assert CompiledMapping.compile("$eval('a + 1')").evaluate({"a": 1}) == 2
    assert CompiledMapping.compile("$map(xs, function($x){$x * 2})").evaluate({"xs": [1, 2]}) == [2, 4]


# --- bounds ------------------------------------------------------------------------------------

RUNAWAY_RECURSION = "($f := function($n){ $n + $f($n + 1) }; $f(0))"
ENDLESS_LOOP = "($f := function($n){ $n > 0 ? $f($n + 1) : 0 }; $f(1))"  # tail call: no depth growth


def test_runaway_recursion_stops_at_the_depth_bound_every_time() -> None:
    mapping = CompiledMapping.compile(RUNAWAY_RECURSION, timeout_ms=5000, max_depth=100)
    for _ in range(5):
        started = time.perf_counter()
        with pytest.raises(MappingError) as caught:
            mapping.evaluate(None)
        assert time.perf_counter() - started < 1
        assert caught.value.jsonata_code == "U1001"
        assert caught.value.code == "mapping_evaluation_error"
        assert "deeper than 100 levels" in caught.value.message


def test_endless_loop_stops_at_the_time_bound_every_time() -> None:
    mapping = CompiledMapping.compile(ENDLESS_LOOP, timeout_ms=100, max_depth=200)
    for _ in range(3):
        started = time.perf_counter()
        with pytest.raises(MappingError) as caught:
            mapping.evaluate(None)
        elapsed = time.perf_counter() - started
        assert 0.09 < elapsed < 1.0
        assert caught.value.jsonata_code == "U1001"
        assert "longer than 100 ms" in caught.value.message


def test_the_clock_starts_at_each_call_not_at_compile_time() -> None:
    mapping = CompiledMapping.compile("a + 1", timeout_ms=20)
    time.sleep(0.05)
    assert mapping.evaluate({"a": 1}) == 2


def test_depth_does_not_accumulate_across_failed_calls() -> None:
    mapping = CompiledMapping.compile(
        "($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(depth))", timeout_ms=5000, max_depth=100
    )
    for _ in range(20):
        with pytest.raises(MappingError):
            mapping.evaluate({"depth": 1000})
        assert mapping.evaluate({"depth": 20}) == 20


def test_a_limit_is_not_swallowed_by_the_engine() -> None:
    # `or` and $eval wrap whatever they catch into their own errors; the stop must still read U1001.
    error = fails("false or " + RUNAWAY_RECURSION, max_depth=50)
    assert error.jsonata_code == "U1001"
    error = fails('$eval("' + RUNAWAY_RECURSION.replace('"', "'") + '")', max_depth=50)
    assert error.jsonata_code == "U1001"


def test_deeply_nested_input_is_a_clean_failure() -> None:
    data: Any = 1
    for _ in range(20_000):
        data = [data]
    error = fails("$", data)
    assert error.jsonata_code == "U1001"


# --- every failure class becomes a MappingError ------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "data", "jsonata_code"),
    [
        ('1 + "a"', None, "T2002"),  # JException
        ("$undefinedFunction()", None, "T1006"),
        # Plain Python exceptions inside the library, given the reference implementation's code:
        ('$number("Hello world")', None, "D3030"),  # ValueError
        ("$sort(xs)", {"xs": [{"a": 1}, {"a": 2}]}, "D3070"),  # TypeError
        ("$toMillis('2018-05-22', '[Y]-[M]-[q]')", None, "D3132"),  # KeyError
        ("$string(1/0)", None, "D1001"),  # ZeroDivisionError (the reference: D3001, after Infinity)
        ("$power(100, 1000)", None, "D3061"),  # OverflowError
        ("$decodeUrl('%E0%A4%A')", None, "D3140"),  # UnicodeDecodeError
        ("$split('some text', $uppercase)", None, "T1010"),  # AttributeError
        ("$type(age) = 'number' or $number(age) > 0", {"age": "33 1/2"}, "D3030"),  # was "Unexpected"
        ('$error("custom")', None, "D3137"),
    ],
)
def test_every_failure_becomes_a_mapping_error(expression: str, data: Any, jsonata_code: str | None) -> None:
    error = fails(expression, data)
    assert error.code == "mapping_evaluation_error"
    assert error.jsonata_code == jsonata_code
    assert error.message.startswith("mapping evaluation error")
    assert "JSonataException" not in error.message


def test_runtime_errors_carry_a_position() -> None:
    error = fails('1 + "a"')
    assert error.position == 3
    assert error.message == (
        "mapping evaluation error at position 3: the right side of the + operator must evaluate to a "
        "number (T2002)"
    )


def test_input_that_is_not_json_is_refused() -> None:
    error = fails("$", {"a": object()})
    assert error.code == "mapping_evaluation_error"


# --- threads -----------------------------------------------------------------------------------


def test_concurrent_evaluations_see_their_own_data() -> None:
    mapping = CompiledMapping.compile(
        '{"id": id, "root": $$.id, "sum": $sum(items.n), "h": $headers.n, '
        '"later": $map([1, 2, 3], function($v){ $$.id })[2]}'
    )
    barrier = threading.Barrier(8)

    def worker(thread: int) -> list[tuple[Any, Any]]:
        barrier.wait()
        seen = []
        for i in range(150):
            n = thread * 1000 + i
            data = {"id": n, "items": [{"n": n}, {"n": 1}]}
            result = mapping.evaluate(data, {"headers": {"n": n}})
            seen.append((result, {"id": n, "root": n, "sum": n + 1, "h": n, "later": n}))
        return seen

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = [pair for batch in pool.map(worker, range(8)) for pair in batch]
    mismatches = [(got, want) for got, want in outcomes if got != want]
    assert not mismatches, mismatches[:3]


def test_bounds_hold_per_thread() -> None:
    slow = CompiledMapping.compile(ENDLESS_LOOP, timeout_ms=200)
    quick = CompiledMapping.compile("$sum(xs)", timeout_ms=200)

    def run_slow() -> str | None:
        with pytest.raises(MappingError) as caught:
            slow.evaluate(None)
        return caught.value.jsonata_code

    def run_quick() -> Any:
        return [quick.evaluate({"xs": [1, 2, 3]}) for _ in range(200)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        slow_runs = [pool.submit(run_slow) for _ in range(2)]
        quick_runs = [pool.submit(run_quick) for _ in range(2)]
        assert [f.result() for f in slow_runs] == ["U1001", "U1001"]
        assert all(r == [6] * 200 for r in (f.result() for f in quick_runs))
