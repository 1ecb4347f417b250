"""JSONata regex literals compiled with the `regex` package, every match bounded by the deadline.

jsonata-python compiles `/…/` literals with the stdlib `re`, whose matching is one native call
that holds the GIL: `$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /^(a|a)+$/)` would run for
hours, the guard's per-node deadline can't interrupt it, and the whole server (every other
request, /health) freezes with it. The library takes a pluggable `regex_engine`; ours compiles
with `regex` (re-compatible syntax, VERSION0), which releases the GIL while it matches and takes a
`timeout=`. Each call gets what is left of the current evaluation's deadline; running out stops
the evaluation with the same U1001 time limit error as any other runaway, naming the regex.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from time import monotonic
from typing import Any

import regex
from jsonata.regex_engine import RegexFlags

from mapping.builtins import CURRENT_GUARD

# Outside an evaluation (never, in practice: patterns only run inside one) a match still ends.
_FALLBACK_TIMEOUT_S = 1.0
_GROUP_REF = re.compile(r"\\g<(\d+)>")


class BoundedPattern:
    """A compiled `regex` pattern with the interface jsonata-python expects of a regex engine."""

    __slots__ = ("_compiled", "flags", "pattern")

    def __init__(self, compiled: Any, source: str) -> None:
        self._compiled = compiled
        self.pattern = source
        self.flags = compiled.flags

    def __repr__(self) -> str:
        return f"/{self.pattern}/"

    def _timeout(self) -> float:
        guard = CURRENT_GUARD.get()
        if guard is None:
            return _FALLBACK_TIMEOUT_S
        guard.check_time()
        return max(guard.deadline - monotonic(), 0.001)

    def _timed_out(self) -> Exception:
        guard = CURRENT_GUARD.get()
        if guard is None:
            return TimeoutError(f"the regular expression /{self.pattern}/ took too long")
        shown = self.pattern if len(self.pattern) <= 60 else self.pattern[:59] + "…"
        return guard.timed_out(f"the regular expression /{shown}/ did not finish matching")

    def search(self, string: str, *args: Any) -> Any:
        try:
            return self._compiled.search(string, *args, timeout=self._timeout())
        except TimeoutError:
            raise self._timed_out() from None

    def finditer(self, string: str, *args: Any) -> Iterator[Any]:
        matches = self._compiled.finditer(string, *args, timeout=self._timeout())
        guard = CURRENT_GUARD.get()
        while True:
            if guard is not None:
                guard.check_time()  # each step may take up to the timeout: stop once past the deadline
            try:
                match = next(matches)
            except StopIteration:
                return
            except TimeoutError:
                raise self._timed_out() from None
            yield match

    def sub(self, repl: Any, string: str, count: int = 0) -> str:
        if isinstance(repl, str):
            # jsonata-python reads `$12` as group 12, and on the stdlib's "invalid group reference
            # 12 at position …" retries as group 1 then "2"; `regex` words that error differently.
            for ref in _GROUP_REF.finditer(repl):
                if int(ref.group(1)) > self._compiled.groups:
                    raise re.error(f"invalid group reference {ref.group(1)} at position {ref.start() + 3}")
        try:
            return str(self._compiled.sub(repl, string, count, timeout=self._timeout()))
        except TimeoutError:
            raise self._timed_out() from None

    def split(self, string: str, maxsplit: int = 0) -> list[str]:
        try:
            return list(self._compiled.split(string, maxsplit, timeout=self._timeout()))
        except TimeoutError:
            raise self._timed_out() from None


def bounded_regex_engine(pattern: str, flags: RegexFlags) -> BoundedPattern:
    """The `regex_engine` given to jsonata-python for every mapping (and every `$eval` in one)."""
    native = regex.VERSION0
    if flags.case_insensitive:
        native |= regex.IGNORECASE
    if flags.multiline:
        native |= regex.MULTILINE
    return BoundedPattern(regex.compile(pattern, native), pattern)
