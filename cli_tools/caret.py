"""Show where in a mapping expression an error is: the line, and a caret under the character."""

from __future__ import annotations


def point_at(expression: str, position: int, *, width: int | None = None) -> str:
    """Two lines, `  3 | <source line>` and a caret under the offending character.

    JSONata reports the position just after the token at fault, so the caret goes one back.
    `width`: a longer line is cut to about that many characters around the caret (… at a cut),
    for a box that must not wrap the line and still show the caret.
    """
    index = min(max(position - 1, 0), max(len(expression) - 1, 0))
    start = expression.rfind("\n", 0, index) + 1
    end = expression.find("\n", index)
    line = expression[start : end if end >= 0 else len(expression)]
    number = expression.count("\n", 0, start) + 1
    gutter = f"{number:>3} | "
    if width is not None and len(line) > width:
        first = max(0, min(index - start - width // 2, len(line) - width))
        cut_before, cut_after = first > 0, first + width < len(line)
        line = ("…" if cut_before else "") + line[first : first + width] + ("…" if cut_after else "")
        start += first - (1 if cut_before else 0)  # the "…" stands where the cut text was
    # Tabs keep their width in the caret line, so the caret lines up in any terminal.
    pad = "".join("\t" if ch == "\t" else " " for ch in line[: index - start])
    return f"{gutter}{line}\n{' ' * len(gutter)}{pad}^"
