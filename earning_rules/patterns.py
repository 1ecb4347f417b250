"""Regular expressions from people (a rule's `regex` condition, an event type's JSON Schema
`pattern`), matched with a time limit.

Python's `re` matches in one native call that holds the GIL: `^(a|a)+$` against 26 characters
froze the whole server, /health included, for 12–15 s. The `regex` package (re-compatible syntax,
VERSION0) releases the GIL while it matches and takes a timeout. A pattern is also tried on
inputs that make catastrophic patterns blow up when it is saved, so most never reach an event.
"""

from __future__ import annotations

import re
from functools import lru_cache

import regex

MATCH_TIMEOUT_S = 0.05  # per match, on text a tag or a schema string can hold
PROBE_TIMEOUT_S = 0.05
# Inputs that make nested or overlapping quantifiers backtrack exponentially, and that a pattern
# fails to match at the end (the "!" / "\x00" ending forces every alternative to be tried).
_PROBES = tuple(
    stem * 28 + end for stem in ("a", "ab", "0", " ", "aA0_", "\u00e9") for end in ("!", "\x00", "")
)


class PatternTimeout(Exception):
    """A match took longer than MATCH_TIMEOUT_S."""

    def __init__(self, pattern: str) -> None:
        shown = pattern if len(pattern) <= 60 else pattern[:59] + "…"
        limit = int(MATCH_TIMEOUT_S * 1000)
        super().__init__(f"the regular expression /{shown}/ took longer than {limit} ms")


class PatternError(ValueError):
    """A pattern that does not compile, or that backtracks without bound on a probe."""


@lru_cache(maxsize=1024)
def compile_pattern(source: str) -> regex.Pattern[str]:
    # Python's syntax (and its error messages) decide what is valid; `regex` does the matching.
    try:
        re.compile(source)
        return regex.compile(source, flags=regex.VERSION0)
    except (re.error, regex.error) as exc:
        raise PatternError(f"is not a valid regular expression: {exc}") from None


def check_pattern(source: str) -> regex.Pattern[str]:
    """Compile, and refuse a pattern that cannot be bounded: one that runs past the time limit
    on a short probe would do so on a real event too."""
    compiled = compile_pattern(source)
    for probe in _PROBES:
        try:
            compiled.search(probe, timeout=PROBE_TIMEOUT_S)
        except TimeoutError:
            raise PatternError(
                f"takes too long to match (more than {int(PROBE_TIMEOUT_S * 1000)} ms on "
                f"{probe[:12]!r}… of {len(probe)} characters): nested or overlapping repetition such "
                "as (a+)+ or (a|a)* backtracks without bound; rewrite it without"
            ) from None
    return compiled


def search(source: str, text: str) -> bool:
    """Whether `source` matches somewhere in `text`; PatternTimeout past the time limit."""
    try:
        return compile_pattern(source).search(text, timeout=MATCH_TIMEOUT_S) is not None
    except TimeoutError:
        raise PatternTimeout(source) from None
