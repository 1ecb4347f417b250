"""How a bad value is named in an error message: `"12"`, `42`, `true`, `null`, `an object`."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from jsonata.jsonata import Jsonata
from jsonata.parser import Parser

_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX = 60  # enough to recognise the value, short enough for a log line


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        digits = str(value)
        return digits if len(digits) <= 40 else f"{digits[:20]}… ({len(digits.lstrip('-'))} digits)"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "a non-finite number"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        if _SURROGATE.search(text):  # a message is stored as text, which cannot hold a lone surrogate
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        return text if len(text) <= _MAX else text[: _MAX - 2] + '…"'
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, (Parser.Symbol, Jsonata.JFunctionCallable)):
        return "a function"
    return f"a {type(value).__name__}"
