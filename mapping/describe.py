"""How a bad value is named in an error message: `"12"`, `42`, `true`, `null`, `an object`."""

from __future__ import annotations

import json
import math
from typing import Any

from jsonata.jsonata import Jsonata
from jsonata.parser import Parser

_MAX = 60  # enough to recognise the value, short enough for a log line


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "a non-finite number"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= _MAX else text[: _MAX - 2] + '…"'
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, (Parser.Symbol, Jsonata.JFunctionCallable)):
        return "a function"
    return f"a {type(value).__name__}"
