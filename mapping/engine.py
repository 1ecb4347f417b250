"""The mapping engine behind one adapter: parse once, evaluate many times, each call bounded.

Two JSONata engines can run a mapping, chosen with INBOUND_MAPPING_ENGINE (DESIGN.md, "The
mapping engine"): `jlens` (the default: Rust, ~30x faster, passes more of the official suite)
and `jsonata-python` (pure Python). Both take the same bounds (time, depth, items and characters),
answer plain Python values, and fail with one `MappingError` carrying the JSONata code and the
position in the expression, so everything above this module is the same whichever runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from errors import MappingError
from mapping import jlens_engine, jsonata_python_engine
from mapping.bounds import Bounds, OverBudget

ENGINES = ("jlens", "jsonata-python")
DEFAULT_ENGINE = "jlens"


def default_engine() -> str:
    """INBOUND_MAPPING_ENGINE, else jlens. Read on every compile, so tests and tools can switch."""
    return os.environ.get("INBOUND_MAPPING_ENGINE") or DEFAULT_ENGINE


def check_engine(name: str) -> str:
    if name not in ENGINES:
        raise MappingError(
            f"INBOUND_MAPPING_ENGINE: {name!r} is not a mapping engine; use one of {', '.join(ENGINES)}",
            code="invalid_mapping_engine",
        )
    return name


@dataclass(frozen=True, eq=False)
class CompiledMapping:
    """A parsed mapping expression plus the bounds every evaluation of it runs under."""

    expression: str
    timeout_ms: int = 1000
    max_depth: int = 200
    max_items: int = 100_000
    max_events: int = 1000  # mapped events from one raw event (INBOUND_MAX_BATCH_ITEMS)
    engine: str = ""  # "" = the default engine
    # Memory one evaluation off the event loop may take (mapping/isolation.py); inline ones are
    # bounded by their few milliseconds.
    max_memory_mb: int = 256
    _parsed: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if min(self.timeout_ms, self.max_depth, self.max_items, self.max_events, self.max_memory_mb) < 1:
            raise ValueError("every bound (timeout, depth, items, events, memory) must be positive")
        if not isinstance(self.expression, str):
            raise MappingError(
                "mapping syntax error: expected the expression as text, got "
                f"{type(self.expression).__name__}",
                code="mapping_syntax_error",
            )
        object.__setattr__(self, "engine", check_engine(self.engine or default_engine()))
        jsonata_python_engine.check_size(self.expression)  # the same bounds whichever engine runs
        object.__setattr__(self, "_parsed", self._module.parse(self.expression))

    @property
    def _module(self) -> Any:
        return jlens_engine if self.engine == "jlens" else jsonata_python_engine

    @property
    def bounds(self) -> Bounds:
        return Bounds(self.timeout_ms, self.max_depth, self.max_items)

    @classmethod
    def compile(
        cls,
        expression: str,
        *,
        timeout_ms: int = 1000,
        max_depth: int = 200,
        max_items: int = 100_000,
        max_events: int = 1000,
        engine: str = "",
        max_memory_mb: int = 256,
    ) -> CompiledMapping:
        """Parse once; a syntax error raises MappingError(code="mapping_syntax_error")."""
        return cls(expression, timeout_ms, max_depth, max_items, max_events, engine, max_memory_mb)

    def evaluate(
        self, data: Any, bindings: Mapping[str, Any] | None = None, *, budget_ms: int | None = None
    ) -> Any:
        """Evaluate against `data` with `$name` bindings (names without the `$`).

        Returns the result as plain Python values (None when undefined or null), or raises
        MappingError: code "mapping_evaluation_error", `jsonata_code` U1001 when a bound is hit.
        With `budget_ms` shorter than the timeout, running out of the budget raises OverBudget.
        """
        return self._module.evaluate(self._parsed, self.bounds, data, bindings or {}, budget_ms)


def compile_cached(
    expression: str,
    *,
    timeout_ms: int,
    max_depth: int,
    max_items: int = 100_000,
    max_events: int = 1000,
    engine: str = "",
    max_memory_mb: int = 256,
) -> CompiledMapping:
    """Compile once per (expression, bounds, engine); safe because a CompiledMapping is never mutated.

    Syntax errors are not cached (lru_cache does not store exceptions), which is fine: saving a
    connector already refuses them.
    """
    return _compiled(
        expression, timeout_ms, max_depth, max_items, max_events, engine or default_engine(), max_memory_mb
    )


@lru_cache(maxsize=512)
def _compiled(
    expression: str,
    timeout_ms: int,
    max_depth: int,
    max_items: int,
    max_events: int,
    engine: str,
    max_memory_mb: int,
) -> CompiledMapping:
    return CompiledMapping.compile(
        expression,
        timeout_ms=timeout_ms,
        max_depth=max_depth,
        max_items=max_items,
        max_events=max_events,
        engine=engine,
        max_memory_mb=max_memory_mb,
    )


__all__ = ["ENGINES", "CompiledMapping", "OverBudget", "check_engine", "compile_cached", "default_engine"]
