"""The jsonata-python engine (INBOUND_MAPPING_ENGINE=jsonata-python): parse once, evaluate many
times, each call bounded and isolated.

What jsonata-python gets wrong for a long-lived, multi-threaded service, and what we do instead:

* `Jsonata.evaluate()` without bindings binds `$` in the instance's shared frame, so concurrent
  calls see each other's `$$`, and `$x := …` at the top level leaks into later calls. We give
  every call a fresh frame (child of the compiled instance's frame, which we never write to).
* The evaluator fetches "the current instance" from a thread-local shared by ALL expressions
  (`Jsonata.CURRENT`, set as a side effect of parsing any expression); `$now()`, `$millis()`,
  `$eval()` and higher-order functions read it. We point it at a per-call shallow copy of the
  compiled instance for the duration of the call and restore it afterwards.
* Its time and depth guard is per instance and breaks on reuse; see `mapping.guard`.
* A built-in function runs as one uninterruptible Python call on whatever it is given; see
  `mapping.builtins` for the size bounds that keep each call short.
* Failures escape as assorted Python exceptions; see `mapping.failures`.

The parsed AST is shared and read-only; the per-call copy costs a few microseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonata.functions import Functions
from jsonata.jsonata import Jsonata
from jsonata.timebox import Timebox
from jsonata.tokenizer import Tokenizer
from jsonata.utils import Utils

from errors import MappingError
from mapping.bounds import MAX_EXPRESSION_CHARS, TOO_LARGE, Bounds, OverBudget
from mapping.builtins import BOUNDED, CURRENT_GUARD
from mapping.failures import evaluation_error, limit_error, syntax_error
from mapping.guard import Guard
from mapping.regexes import bounded_regex_engine
from mapping.results import to_plain

_UNSET = object()


def _set_current(instance: Any) -> None:
    if instance is _UNSET:
        if hasattr(Jsonata.CURRENT, "jsonata"):
            del Jsonata.CURRENT.jsonata
    else:
        Jsonata.CURRENT.jsonata = instance


# Parsing runs where the mapping is saved or first used, uninterruptibly, and the library's parser
# is quadratic in the steps of one path (`a.a.a…` of 5,000 steps took seconds). Real mappings are
# a few KiB with paths of a handful of steps; these bounds keep the worst parse well under 0.2 s.
MAX_PATH_STEPS = 500  # `.` steps in one path
MAX_TOTAL_STEPS = 10_000  # `.` steps in the whole expression
_OPEN, _CLOSE = ("(", "[", "{"), (")", "]", "}")


def _no_regex(pattern: str, flags: Any) -> None:
    return None  # counting tokens only: compiling the regexes is the parser's job


def _path_steps(expression: str) -> tuple[str, int] | None:
    """Which step bound the expression passes, and where; None within both.

    A linear pass of the library's own tokenizer. A path's steps are counted per bracket level
    (a predicate or a block inside a path does not end it; any other operator does). If the
    tokenizer fails, the parse that follows reports the error precisely.
    """
    lexer = Tokenizer(expression, _no_regex)
    levels, total, expecting_operand = [0], 0, True
    try:
        while (token := lexer.next(expecting_operand)) is not None:
            expecting_operand = token.type == "operator" and token.value not in _CLOSE
            if token.type != "operator":
                continue
            if token.value == ".":
                levels[-1] += 1
                total += 1
                if levels[-1] > MAX_PATH_STEPS:
                    return f"a path has more than {MAX_PATH_STEPS} steps (`.`)", token.position
                if total > MAX_TOTAL_STEPS:
                    return f"more than {MAX_TOTAL_STEPS} path steps (`.`) in all", token.position
            elif token.value in _OPEN:
                levels.append(0)
            elif token.value in _CLOSE:
                if len(levels) > 1:
                    levels.pop()
            else:
                levels[-1] = 0
    except Exception:
        return None
    return None


def check_size(expression: str) -> None:
    """Refuse expressions too big to parse quickly (applied whichever engine runs, for one answer)."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise MappingError(
            f"mapping: the expression is {len(expression)} characters long; at most {MAX_EXPRESSION_CHARS} "
            "are accepted",
            code=TOO_LARGE,
        )
    if expression.count(".") <= MAX_PATH_STEPS:  # cheap: nearly every mapping stops here
        return
    found = _path_steps(expression)
    if found is not None:
        what, position = found
        raise MappingError(
            f"mapping: {what} (at position {position}); bind a long path to a $variable once, "
            "or split the mapping up",
            code=TOO_LARGE,
            position=position,
        )


def _parse(expression: str) -> Jsonata:
    previous = getattr(Jsonata.CURRENT, "jsonata", _UNSET)
    try:
        # No timeout/stack here on purpose: the library's guard would start its clock now.
        return Jsonata(expression, bounded_regex_engine)
    except Exception as exc:
        raise syntax_error(exc) from None
    finally:
        _set_current(previous)  # parsing sets the thread's "current instance"; undo that


def parse(expression: str) -> Jsonata:
    return _parse(expression)


def evaluate(
    parsed: Jsonata, bounds: Bounds, data: Any, bindings: Mapping[str, Any], budget_ms: int | None
) -> Any:
    """Evaluate against `data` with `$name` bindings; see `mapping.engine.CompiledMapping.evaluate`."""
    short = budget_ms is not None and budget_ms < bounds.timeout_ms
    guard = Guard(budget_ms if short and budget_ms else bounds.timeout_ms, bounds.max_depth, bounds.max_items)
    frame = Jsonata.Frame(parsed.environment)
    frame.bindings.update(BOUNDED)  # shadow the library's built-ins with size-checked ones
    for name, value in bindings.items():
        frame.bind(name, value)
    frame.bind("$", data)
    guard.install(frame)

    runner = object.__new__(Jsonata)
    runner.__dict__.update(parsed.__dict__)
    runner.environment = frame
    runner.input = None
    runner.timestamp = Timebox.current_milli_time()  # what $now() and $millis() return

    focus = data
    if isinstance(data, list) and not Utils.is_sequence(data):
        # As Jsonata.evaluate does: a top-level array is one input, not a sequence of inputs.
        focus = Utils.create_sequence(data)
        focus.outer_wrapper = True

    previous = getattr(Jsonata.CURRENT, "jsonata", _UNSET)
    Jsonata.CURRENT.jsonata = runner
    token = CURRENT_GUARD.set(guard)
    try:
        Functions.validate_input(focus)
        result = to_plain(runner.eval(runner.ast, focus, frame))
    except Exception as exc:
        # A stop may arrive re-wrapped by the library (`and`/`or`, $eval wrap what they catch).
        if short and guard.tripped == "time":
            raise OverBudget from None
        if guard.tripped is not None:
            raise _limit_error(guard, bounds) from None
        raise evaluation_error(
            exc, position=guard.position(), timeout_ms=bounds.timeout_ms, max_depth=bounds.max_depth
        ) from None
    finally:
        CURRENT_GUARD.reset(token)
        _set_current(previous)
    if guard.tripped is not None:  # swallowed entirely by a library catch-all
        if short and guard.tripped == "time":
            raise OverBudget
        raise _limit_error(guard, bounds)
    return result


def _limit_error(guard: Guard, bounds: Bounds) -> MappingError:
    return limit_error(
        guard.tripped or "time",
        timeout_ms=bounds.timeout_ms,
        max_depth=bounds.max_depth,
        detail=guard.detail,
        position=guard.position() if guard.tripped == "size" or guard.detail else None,
        setting=guard.setting,
    )
