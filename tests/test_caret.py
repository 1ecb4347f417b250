"""The caret under a mapping error: under the character at fault, also when a long line is cut."""

from __future__ import annotations

from cli_tools.caret import point_at


def caret_column(shown: str) -> tuple[str, str]:
    source, caret = shown.split("\n")
    return source, source[caret.index("^")]


def test_the_caret_sits_under_the_character_before_the_position() -> None:
    shown = point_at('{"a": 1,\n "b": )}', 16)
    source, under = caret_column(shown)
    assert source == '  2 |  "b": )}' and under == ")"


def test_a_long_line_is_cut_around_the_caret_and_it_still_points_right() -> None:
    mapping = '{"clientEventId": id, "profile": {"kind": "default", "value": email}, "payload": {"tags": [}'
    position = mapping.index("[}") + 2  # JSONata: just after the token at fault, "}"
    whole = point_at(mapping, position)
    assert caret_column(whole)[1] == "}"
    for width in (20, 40, 60):
        source, under = caret_column(point_at(mapping, position, width=width))
        assert under == "}", (width, source)
        assert len(source) <= len("  1 | ") + width + 2  # at most an ellipsis at each end
    cut = point_at(mapping, position, width=40).split("\n")[0]
    assert cut.startswith("  1 | …") and mapping[-10:] in cut  # the start is cut, the end kept
    start = point_at(mapping, 3, width=40).split("\n")[0]
    assert start.startswith('  1 | {"clientEventId"') and start.endswith("…")
    assert point_at("1 +", 3, width=40) == point_at("1 +", 3)  # short lines are shown whole
