"""The JSONata engine adapter: parse once, evaluate many times, each call bounded and isolated.

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
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jsonata.functions import Functions
from jsonata.jsonata import Jsonata
from jsonata.timebox import Timebox
from jsonata.utils import Utils

from errors import MappingError
from mapping.builtins import BOUNDED, CURRENT_GUARD
from mapping.failures import evaluation_error, limit_error, syntax_error
from mapping.guard import Guard
from mapping.results import to_plain

_UNSET = object()


def _set_current(instance: Any) -> None:
    if instance is _UNSET:
        if hasattr(Jsonata.CURRENT, "jsonata"):
            del Jsonata.CURRENT.jsonata
    else:
        Jsonata.CURRENT.jsonata = instance


def _parse(expression: str) -> Jsonata:
    if not isinstance(expression, str):
        raise MappingError(
            f"mapping syntax error: expected the expression as text, got {type(expression).__name__}",
            code="mapping_syntax_error",
        )
    previous = getattr(Jsonata.CURRENT, "jsonata", _UNSET)
    try:
        # No timeout/stack here on purpose: the library's guard would start its clock now.
        return Jsonata(expression)
    except Exception as exc:
        raise syntax_error(exc) from None
    finally:
        _set_current(previous)  # parsing sets the thread's "current instance"; undo that


@dataclass(frozen=True, eq=False)
class CompiledMapping:
    """A parsed mapping expression plus the bounds every evaluation of it runs under."""

    expression: str
    timeout_ms: int = 1000
    max_depth: int = 200
    max_items: int = 100_000
    _parsed: Jsonata = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.timeout_ms < 1 or self.max_depth < 1 or self.max_items < 1:
            raise ValueError("timeout_ms, max_depth and max_items must be positive")
        object.__setattr__(self, "_parsed", _parse(self.expression))

    @classmethod
    def compile(
        cls, expression: str, *, timeout_ms: int = 1000, max_depth: int = 200, max_items: int = 100_000
    ) -> CompiledMapping:
        """Parse once; a syntax error raises MappingError(code="mapping_syntax_error")."""
        return cls(expression, timeout_ms, max_depth, max_items)

    def evaluate(self, data: Any, bindings: Mapping[str, Any] | None = None) -> Any:
        """Evaluate against `data` with `$name` bindings (names without the `$`).

        Returns the result as plain Python values (None when undefined or null), or raises
        MappingError: code "mapping_evaluation_error", `jsonata_code` U1001 when a bound is hit.
        """
        guard = Guard(self.timeout_ms, self.max_depth, self.max_items)
        frame = Jsonata.Frame(self._parsed.environment)
        frame.bindings.update(BOUNDED)  # shadow the library's built-ins with size-checked ones
        for name, value in (bindings or {}).items():
            frame.bind(name, value)
        frame.bind("$", data)
        guard.install(frame)

        runner = object.__new__(Jsonata)
        runner.__dict__.update(self._parsed.__dict__)
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
            if guard.tripped is not None:
                raise self._limit_error(guard) from None
            raise evaluation_error(
                exc, position=guard.position(), timeout_ms=self.timeout_ms, max_depth=self.max_depth
            ) from None
        finally:
            CURRENT_GUARD.reset(token)
            _set_current(previous)
        if guard.tripped is not None:  # swallowed entirely by a library catch-all
            raise self._limit_error(guard)
        return result

    def _limit_error(self, guard: Guard) -> MappingError:
        return limit_error(
            guard.tripped or "time",
            timeout_ms=self.timeout_ms,
            max_depth=self.max_depth,
            detail=guard.detail,
            position=guard.position() if guard.tripped == "size" else None,
        )


@lru_cache(maxsize=512)
def compile_cached(
    expression: str, *, timeout_ms: int, max_depth: int, max_items: int = 100_000
) -> CompiledMapping:
    """Compile once per (expression, bounds); safe because a CompiledMapping is never mutated.

    Syntax errors are not cached (lru_cache does not store exceptions), which is fine: saving a
    connector already refuses them.
    """
    return CompiledMapping.compile(
        expression, timeout_ms=timeout_ms, max_depth=max_depth, max_items=max_items
    )
