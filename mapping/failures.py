"""Every way a mapping can fail, turned into one `MappingError` with the JSONata code and position.

jsonata-python raises `JException` for JSONata errors, but many failures escape as plain Python
exceptions (ValueError, TypeError, KeyError, IndexError, RecursionError …). None of them may
reach the pipeline raw: a broken mapping is an expected failure, stored and replayable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from jsonata.jexception import JException
from jsonata.utils import Utils

from errors import MappingError
from mapping.guard import Limit

SYNTAX = "mapping_syntax_error"
EVALUATION = "mapping_evaluation_error"
LIMIT_CODE = "U1001"  # what the JSONata reference uses for both runaway checks

_CODE = re.compile(r"[A-Z]\d{4}")
_MAX_DETAIL = 300  # engine messages may quote data; keep error bodies and logs readable


_NO_LOCATION = frozenset({"D1001"})
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _detail(text: str) -> str:
    # Engine messages may quote the data; the message is stored as text, which on PostgreSQL
    # cannot hold NUL, and which no driver can encode with a lone surrogate in it.
    text = _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    text = " ".join(text.split())
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1] + "…"
    # "Expected ) before …" reads better mid-sentence as "expected ) before …".
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


class FunctionError(JException):
    """A JSONata error raised on behalf of a built-in function (or the parser), with our own message.

    A JException, so the library's own handlers (`and`/`or`, `$eval`) pass it through unchanged.
    """

    def __init__(self, code: str, message: str, location: int = -1) -> None:
        super().__init__(code, location)
        self.args = (message,)


# Failures the library reports with its message where the code belongs (`JException("both integer
# …", -1)`) or as a bare RuntimeError: the reference implementation's code for each, by message.
_LIBRARY_MESSAGES: tuple[tuple[str, str], ...] = (
    ("formatting or parsing an integer as a sequence starting with", "D3130"),
    ("in a decimal digit pattern, all digits must be from the same decimal group", "D3131"),
    ("unknown component specifier", "D3132"),
    ("the 'name' modifier can only be applied", "D3133"),
    ("the timezone integer format specifier", "D3134"),
    ("no matching closing bracket", "D3135"),
    ("the date/time picture string is missing specifiers", "D3136"),
    ("both integer and fractional parts are empty", "D3085"),
    ("invalid grouping in picture argument", "D3086"),
    ("second argument of replace function cannot be an empty string", "D3010"),
    ("fourth argument of replace function must evaluate to a positive number", "D3011"),
    ("choice groups containing parameterized types are not supported", "S0402"),
    ("type parameters can only be applied to functions and arrays", "S0401"),
)
_MESSAGE_FIXES = {
    "D3130": "formatting or parsing an integer as a sequence starting with this character is not supported",
    "D3010": "the pattern (argument 2) cannot be an empty string",
    "D3011": "the limit (argument 4) must be a positive number",
}


def _library_message(exc: Exception) -> tuple[str, str] | None:
    """(code, message) for a library failure known only by its text."""
    if isinstance(exc, JException):
        if _CODE.fullmatch(str(exc.error)):
            return None
        text = str(exc.error)
    elif type(exc) is RuntimeError:
        text = str(exc)
    else:
        return None
    lowered = text.lower()
    for start, code in _LIBRARY_MESSAGES:
        if lowered.startswith(start):
            text = _MESSAGE_FIXES.get(code, text)
            return code, text[:1].lower() + text[1:]
    return None


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:59] + "…")
    if value is None or value is Utils.NULL_VALUE:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "an array"
    if callable(value) or hasattr(value, "signature"):
        return "a function"
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _arg(args: Sequence[Any], index: int) -> Any:
    return args[index] if len(args) > index else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_pattern(value: Any) -> bool:
    return isinstance(value, str) or hasattr(value, "finditer")


def function_failure(name: str, args: Sequence[Any], exc: Exception) -> FunctionError | None:
    """The JSONata error a built-in's plain Python exception stands for; None when not known.

    Called by the per-evaluation wrappers in `mapping.builtins`, which know which function raised.
    Each rule also checks the arguments, so that an exception from a function passed in (a
    `$sort` comparator, a `$map` callback) is not blamed on the built-in calling it.
    """
    if isinstance(exc, RecursionError):
        return None
    known = _library_message(exc)
    if known is not None:
        code, text = known
        return FunctionError(code, f"${name}: {text}")
    first = _arg(args, 0)
    if name == "number" and isinstance(exc, JException) and exc.error == "D1001" and isinstance(first, str):
        return cannot_cast(first)  # "10e500": the library checks the result, the reference the text
    if isinstance(exc, JException):
        return None
    if name == "number" and isinstance(exc, ValueError) and isinstance(first, str):
        return cannot_cast(first)
    if name == "power" and isinstance(exc, (TypeError, ValueError, OverflowError, ZeroDivisionError)):
        base, exponent = first, _arg(args, 1)
        if _is_number(base) and _is_number(exponent):
            return FunctionError(
                "D3061",
                f"$power: {_show(base)} to the power {_show(exponent)} cannot be represented as a JSON "
                "number",
            )
    if name == "sort" and isinstance(exc, TypeError) and _arg(args, 1) is None:
        return FunctionError(
            "D3070",
            "$sort: without a comparison function (argument 2) it can only sort an array of all strings "
            "or all numbers",
        )
    if name == "toMillis" and isinstance(first, str):
        if isinstance(exc, ValueError) and _arg(args, 1) is None:
            return FunctionError("D3110", f"$toMillis: {_show(first)} is not an ISO 8601 timestamp")
        if isinstance(exc, KeyError) and isinstance(_arg(args, 1), str):
            return FunctionError(
                "D3132", f"$toMillis: unknown component specifier {exc.args[0]!s} in the picture string"
            )
    if name in ("encodeUrl", "encodeUrlComponent", "decodeUrl", "decodeUrlComponent") and isinstance(
        exc, UnicodeError
    ):
        return FunctionError("D3140", f"${name}: malformed URL {_show(first)}")
    if name == "replace" and isinstance(exc, TypeError):
        limit = _arg(args, 3)
        if limit is not None and not _is_number(limit):
            return FunctionError(
                "T0410", f"$replace: the limit (argument 4) must be a number, not {_show(limit)}"
            )
    if name == "split" and isinstance(exc, (TypeError, ValueError)):
        limit = _arg(args, 2)
        if limit is not None and not _is_number(limit):
            return FunctionError(
                "T0410", f"$split: the limit (argument 3) must be a number, not {_show(limit)}"
            )
    if name in ("split", "match", "contains", "replace") and isinstance(exc, (AttributeError, TypeError)):
        pattern = _arg(args, 1)
        if pattern is not None and not _is_pattern(pattern):
            return FunctionError(
                "T1010",
                f"${name}: the matcher function (argument 2) does not return the structure a regular "
                "expression match has",
            )
    return None


def cannot_cast(value: Any) -> FunctionError:
    return FunctionError("D3030", f"$number: cannot cast {_show(value)} to a number")


def not_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _innermost_locals(tb: TracebackType | None) -> dict[str, Any]:
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return dict(tb.tb_frame.f_locals) if tb is not None else {}


def _parser_failure(exc: Exception) -> FunctionError | None:
    """The JSONata code of a plain exception out of the library's tokenizer or parser, if known."""
    known = _library_message(exc)
    if known is not None:
        code, text = known
        return FunctionError(code, text)
    where = _innermost_locals(exc.__traceback__)
    if isinstance(exc, IndexError) and isinstance(where.get("comment_start"), int):
        # The tokenizer reads past the end looking for the `*/` of a comment.
        return FunctionError("S0106", "comment has no closing tag (*/)", where["comment_start"])
    token = where.get("next_token")
    if isinstance(exc, KeyError) and token is not None and isinstance(getattr(token, "position", None), int):
        # The parser looks an operator it does not know up in its symbol table.
        return FunctionError("S0204", f"unknown operator: {exc.args[0]!s}", token.position)
    return None


def _position(exc: JException) -> int | None:
    location = getattr(exc, "location", None)
    if location == 0 and getattr(exc, "error", None) in _NO_LOCATION:
        return None  # raised deep in the library with a placeholder 0, not where the mapping failed
    return location if isinstance(location, int) and location >= 0 else None


def _from_jexception(what: str, code: str, exc: JException, hint: int | None = None) -> MappingError:
    position = _position(exc)
    if position is None:
        position = hint
    where = f" at position {position}" if position is not None else ""
    jsonata_code = str(exc.error)
    if not _CODE.fullmatch(jsonata_code):
        # Some library errors put their message where the code belongs ("Unexpected", …).
        return MappingError(f"{what}{where}: {_detail(jsonata_code)}", code=code, position=position)
    return MappingError(
        f"{what}{where}: {_detail(str(exc))} ({jsonata_code})",
        code=code,
        jsonata_code=jsonata_code,
        position=position,
    )


def syntax_error(exc: Exception) -> MappingError:
    """The expression could not be parsed."""
    if isinstance(exc, JException):
        return _from_jexception("mapping syntax error", SYNTAX, exc)
    if isinstance(exc, RecursionError):
        return MappingError("mapping syntax error: the expression is nested too deeply to parse", code=SYNTAX)
    known = _parser_failure(exc)
    if known is not None:
        return _from_jexception("mapping syntax error", SYNTAX, known)
    return MappingError(f"mapping syntax error: {type(exc).__name__}: {_detail(str(exc))}", code=SYNTAX)


def limit_error(
    limit: Limit,
    *,
    timeout_ms: int,
    max_depth: int,
    detail: str | None = None,
    position: int | None = None,
    setting: str | None = "INBOUND_MAPPING_MAX_ITEMS",
) -> MappingError:
    if limit == "size":
        where = f" at position {position}" if position is not None else ""
        named = f" ({setting})" if setting else ""
        return MappingError(
            f"mapping evaluation stopped{where}: {detail or 'a value is too large'}{named} ({LIMIT_CODE})",
            code=EVALUATION,
            jsonata_code=LIMIT_CODE,
            position=position,
        )
    if limit == "time" and detail:  # a native call that ran out of time (a regex)
        where = f" at position {position}" if position is not None else ""
        return MappingError(
            f"mapping evaluation stopped{where}: {detail} within the {timeout_ms} ms limit "
            "(INBOUND_MAPPING_TIMEOUT_MS); simplify it (nested or overlapping repeats backtrack) "
            f"({LIMIT_CODE})",
            code=EVALUATION,
            jsonata_code=LIMIT_CODE,
            position=position,
        )
    if limit == "time":
        text = f"took longer than {timeout_ms} ms; check for an infinite loop"
    else:
        text = f"nested deeper than {max_depth} levels; check for non-terminating recursion"
    return MappingError(
        f"mapping evaluation stopped: it {text} ({LIMIT_CODE})", code=EVALUATION, jsonata_code=LIMIT_CODE
    )


def evaluation_error(
    exc: Exception, *, position: int | None, timeout_ms: int, max_depth: int
) -> MappingError:
    """The expression parsed but failed on this input.

    `position` is where the innermost expression being evaluated sits, used when the engine's
    error carries none (many of jsonata-python's runtime errors don't).
    """
    if isinstance(exc, RecursionError):
        # Python's own stack ran out before our depth bound (e.g. very deep input data).
        return limit_error("depth", timeout_ms=timeout_ms, max_depth=max_depth)
    known = _library_message(exc)
    if known is not None:
        exc = FunctionError(*known)
    elif isinstance(exc, ZeroDivisionError):
        # JavaScript divides by zero into Infinity or NaN, which no JSON number can hold.
        exc = FunctionError("D1001", "number out of range: division by zero")
    if isinstance(exc, JException):
        return _from_jexception("mapping evaluation error", EVALUATION, exc, position)
    where = f" at position {position}" if position is not None else ""
    return MappingError(
        f"mapping evaluation error{where}: the JSONata engine failed with {type(exc).__name__}: "
        f"{_detail(str(exc))}",
        code=EVALUATION,
        position=position,
    )
