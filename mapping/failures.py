"""Every way a mapping can fail, turned into one `MappingError` with the JSONata code and position.

jsonata-python raises `JException` for JSONata errors, but many failures escape as plain Python
exceptions (ValueError, TypeError, KeyError, IndexError, RecursionError …). None of them may
reach the pipeline raw: a broken mapping is an expected failure, stored and replayable.
"""

from __future__ import annotations

import re

from jsonata.jexception import JException

from errors import MappingError
from mapping.guard import Limit

SYNTAX = "mapping_syntax_error"
EVALUATION = "mapping_evaluation_error"
LIMIT_CODE = "U1001"  # what the JSONata reference uses for both runaway checks

_CODE = re.compile(r"[A-Z]\d{4}")
_MAX_DETAIL = 300  # engine messages may quote data; keep error bodies and logs readable


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


def _position(exc: JException) -> int | None:
    location = getattr(exc, "location", None)
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
    if isinstance(exc, JException):
        return _from_jexception("mapping evaluation error", EVALUATION, exc, position)
    if isinstance(exc, RecursionError):
        # Python's own stack ran out before our depth bound (e.g. very deep input data).
        return limit_error("depth", timeout_ms=timeout_ms, max_depth=max_depth)
    where = f" at position {position}" if position is not None else ""
    return MappingError(
        f"mapping evaluation error{where}: the JSONata engine failed with {type(exc).__name__}: "
        f"{_detail(str(exc))}",
        code=EVALUATION,
        position=position,
    )
