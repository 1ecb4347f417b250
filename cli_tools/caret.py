"""Show where in a mapping expression an error is: the line, and a caret under the character."""

from __future__ import annotations


def point_at(expression: str, position: int) -> str:
    """Two lines, `  3 | <source line>` and a caret under the offending character.

    JSONata reports the position just after the token at fault, so the caret goes one back.
    """
    index = min(max(position - 1, 0), max(len(expression) - 1, 0))
    start = expression.rfind("\n", 0, index) + 1
    end = expression.find("\n", index)
    line = expression[start : end if end >= 0 else len(expression)]
    number = expression.count("\n", 0, start) + 1
    gutter = f"{number:>3} | "
    # Tabs keep their width in the caret line, so the caret lines up in any terminal.
    pad = "".join("\t" if ch == "\t" else " " for ch in line[: index - start])
    return f"{gutter}{line}\n{' ' * len(gutter)}{pad}^"
