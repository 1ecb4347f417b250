"""The jlens engine (INBOUND_MAPPING_ENGINE=jlens, the default): JSONata in Rust.

Compiled once and shared between threads; every evaluation gets the mapping's bounds as options
(timeout, depth, array and string sizes), and jlens reports a runaway with the codes the JSONata
reference uses (D1012 time, D1011 depth, U1001 size), which become our limit errors. Its errors
carry the JSONata code and the position, as MappingError needs them.

One difference is bridged here: jlens reads numbers as 64-bit floats, as JavaScript does, so an
integer beyond ±2^53 (an order id sent as a number) would lose digits. Such integers go in as
placeholder text and come back out as the exact integer: passed through, or the exact digits
where they were joined into a string (`"ord-" & id`). Arithmetic on them fails (T2001) instead
of computing with a rounded value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jlens
import orjson

from errors import MappingError
from mapping.bounds import Bounds, OverBudget
from mapping.failures import EVALUATION, LIMIT_CODE, SYNTAX, _detail, limit_error

_EXACT = 2**53
# jlens checks its deadline every few hundred steps, so one step must stay short: a string built
# in one step may hold 10 characters per item of the items bound (1 million by default; the
# request body itself is at most 1 MiB). With 100, a $pad of 9 million characters per step ran
# 2 s past a 0.1 s deadline; with 10 it is refused at once, and steps just under it overrun by ms.
CHARS_PER_ITEM = 10
_MARK = re.compile("\ue000(\\d+)\ue001")


def parse(expression: str) -> jlens.Expression:
    """Parse (the size bounds were checked by mapping.engine, as for every engine)."""
    try:
        return jlens.Expression(expression)
    except jlens.JlensError as exc:
        raise _error("mapping syntax error", SYNTAX, exc) from None
    except Exception as exc:  # e.g. text the engine cannot take at all (a lone surrogate)
        raise MappingError(f"mapping syntax error: {_detail(str(exc))}", code=SYNTAX) from None


def evaluate(
    parsed: jlens.Expression, bounds: Bounds, data: Any, bindings: Mapping[str, Any], budget_ms: int | None
) -> Any:
    short = budget_ms is not None and budget_ms < bounds.timeout_ms
    timeout_ms = budget_ms if short and budget_ms else bounds.timeout_ms
    big: list[int] = []
    names = dict(bindings)
    try:
        if _may_hold_big([data, names]):
            data = _hide_big(data, big)
            names = {name: _hide_big(value, big) for name, value in names.items()}
        result = parsed.evaluate(
            data,
            names,
            timeout=timeout_ms / 1000,
            max_depth=bounds.max_depth,
            max_array_length=bounds.max_items,
            max_string_length=bounds.max_items * CHARS_PER_ITEM,
        )
    except jlens.JlensError as exc:
        code = getattr(exc, "code", None)
        if code == "D1012" and short:
            raise OverBudget from None
        if code == "D1012":
            raise _time_error(exc, bounds) from None
        if code == "D1011":
            raise limit_error("depth", timeout_ms=bounds.timeout_ms, max_depth=bounds.max_depth) from None
        if code in ("U1001", "D2016"):  # D2016: jlens's own cap on one string ($pad to 1e7 characters)
            raise limit_error(
                "size",
                timeout_ms=bounds.timeout_ms,
                max_depth=bounds.max_depth,
                detail=_detail(str(exc)),
                position=_position(exc),
            ) from None
        raise _error("mapping evaluation error", EVALUATION, exc) from None
    except RecursionError:  # converting a very deep input
        raise limit_error("depth", timeout_ms=bounds.timeout_ms, max_depth=bounds.max_depth) from None
    try:
        return _restore_big(result, big) if big else result
    except RecursionError:  # a very deep result
        raise limit_error("depth", timeout_ms=bounds.timeout_ms, max_depth=bounds.max_depth) from None


def _time_error(exc: Any, bounds: Bounds) -> MappingError:
    position = _position(exc)
    if position is None:
        return limit_error("time", timeout_ms=bounds.timeout_ms, max_depth=bounds.max_depth)
    return MappingError(
        f"mapping evaluation stopped at position {position}: it did not finish within the "
        f"{bounds.timeout_ms} ms limit (INBOUND_MAPPING_TIMEOUT_MS); check for an infinite loop or a "
        f"regular expression that backtracks (nested or overlapping repeats) ({LIMIT_CODE})",
        code=EVALUATION,
        jsonata_code=LIMIT_CODE,
        position=position,
    )


def _position(exc: Any) -> int | None:
    position = getattr(exc, "position", None)
    return position if isinstance(position, int) and position >= 0 else None


def _error(what: str, code: str, exc: Any) -> MappingError:
    position = _position(exc)
    where = f" at position {position}" if position is not None else ""
    jsonata_code = getattr(exc, "code", None)
    if not isinstance(jsonata_code, str) or not jsonata_code:
        return MappingError(f"{what}{where}: {_detail(str(exc))}", code=code, position=position)
    return MappingError(
        f"{what}{where}: {_detail(str(exc))} ({jsonata_code})",
        code=code,
        jsonata_code=jsonata_code,
        position=position,
    )


_LONG_DIGITS = re.compile(rb"\d{16}")  # 2^53 has 16 digits: anything bigger shows a run this long


def _may_hold_big(value: Any) -> bool:
    """Whether `value` may hold an integer beyond ±2^53: walking every event for one cost more
    than the engine itself, so look at its JSON text first (C speed) and walk only if need be."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # beyond 64 bits (or something JSON cannot hold): walk it
        return True
    return _LONG_DIGITS.search(text) is not None


def _hide_big(value: Any, big: list[int]) -> Any:
    """`value` with every integer beyond ±2^53 replaced by a placeholder naming its place in `big`."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if -_EXACT <= value <= _EXACT:
            return value
        big.append(value)
        return f"\ue000{len(big) - 1}\ue001"
    if isinstance(value, dict):
        if not any(isinstance(v, (int, dict, list)) and not isinstance(v, bool) for v in value.values()):
            return value
        return {k: _hide_big(v, big) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide_big(v, big) for v in value]
    return value


def _restore_big(value: Any, big: list[int]) -> Any:
    if isinstance(value, str) and "\ue000" in value:
        whole = _MARK.fullmatch(value)
        if whole is not None:
            return big[int(whole.group(1))]
        return _MARK.sub(lambda m: str(big[int(m.group(1))]), value)
    if isinstance(value, dict):
        return {k: _restore_big(v, big) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore_big(v, big) for v in value]
    return value
