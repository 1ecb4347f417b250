"""Unit tests for the hostile-input defences: body parsing, parameters, the mapping adapter."""

from __future__ import annotations

import json
import time

import pytest

from api.http import MAX_ID, dumps, whole_number
from connectors.bodies import parse_body, parse_form, parse_json
from errors import MalformedBody, MappingError, PayloadTooLarge, UnsupportedMediaType
from mapping import CompiledMapping, check_request_total, check_shape
from mapping.describe import describe

# These test the jsonata-python adapter (its messages, bounds and fixes); tests/test_mapping_engines.py
# holds what both engines must do alike.
pytestmark = pytest.mark.usefixtures("jsonata_python_engine")

# --- bodies ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ('{"a": "\\ud800"}', 8),
        ('{"a": "\\uDFFF"}', 8),
        ('["ok", "x\\ud83d"]', 10),  # a high half at the end of its string
        ('["\\ud83d\\u0041"]', 3),  # followed by something that is not a low half
        ('{"\\ud800": 1}', 3),  # in a key
    ],
)
def test_lone_surrogate_escapes_are_refused_with_their_column(text: str, column: int) -> None:
    with pytest.raises(MalformedBody) as caught:
        parse_json(text)
    assert caught.value.details == {"line": 1, "column": column}
    assert "lone UTF-16 surrogate" in caught.value.message


@pytest.mark.parametrize("text", ['"\\ud83d\\ude00"', '"\\\\ud800"', '"\\\\\\\\ud800"', '{"a": "\\u00e9"}'])
def test_surrogate_pairs_and_escaped_backslashes_are_fine(text: str) -> None:
    assert parse_json(text) == json.loads(text)


def test_form_fields_keep_repeats_and_decode_strictly() -> None:
    assert parse_form("a=1&b=&a=2&a=3&c") == {"a": ["1", "2", "3"], "b": "", "c": ""}
    assert parse_form("e=caf%E9+au+lait", "iso-8859-1") == {"e": "café au lait"}
    with pytest.raises(MalformedBody, match="form field 'email'"):
        parse_form("email=%ff%fe@x.com")
    with pytest.raises(MalformedBody, match=r"form field 'id'.*NUL"):
        parse_form("id=f4%00")
    with pytest.raises(MalformedBody, match="does not decode as utf-8"):
        parse_form("x=%ED%A0%80")  # an encoded surrogate: not UTF-8 at all
    with pytest.raises(MalformedBody, match="form field name"):
        parse_form("%ff=1")


def test_declared_charsets_are_used_and_unknown_ones_are_a_415() -> None:
    body = '{"n": "ñ"}'
    assert parse_body(body.encode("utf-16"), "application/json; charset=UTF-16", max_items=5) == [{"n": "ñ"}]
    assert parse_body(body.encode("cp1252"), "text/plain;charset=windows-1252", max_items=5) == [{"n": "ñ"}]
    with pytest.raises(MalformedBody, match="not valid UTF-8 at byte"):
        parse_body(body.encode("latin-1"), "application/json", max_items=5)
    for charset in ("klingon", "rot13", "base64"):
        with pytest.raises(UnsupportedMediaType, match=f"charset '{charset}'"):
            parse_body(b"{}", f"application/json; charset={charset}", max_items=5)


# --- parameters and responses ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        ("-3", -3),
        ("007", 7),
        ("²", None),
        ("١٢", None),
        (" 1", None),
        ("1_0", None),
        ("+1", None),
    ],
)
def test_whole_numbers_are_ascii_digits_only(raw: str, expected: int | None) -> None:
    assert whole_number(raw) == expected


def test_whole_numbers_beyond_64_bits_are_clamped_without_parsing_them() -> None:
    assert whole_number(str(MAX_ID)) == MAX_ID
    assert whole_number("9" * 5000) == MAX_ID + 1
    assert whole_number("-" + "9" * 5000) == -(MAX_ID + 1)


def test_responses_write_stored_lone_surrogates_as_json_escapes() -> None:
    out = dumps({"k\udfff": "a\ud800b", "ok": "é"})
    assert out == '{"k\\udfff":"a\\ud800b","ok":"é"}'.encode()
    assert json.loads(out) == {"k\udfff": "a\ud800b", "ok": "é"}


# --- mapping -----------------------------------------------------------------------------------


def test_describe_never_returns_a_lone_surrogate() -> None:
    assert describe("a\ud800") == '"a\\ud800"'


@pytest.mark.parametrize(
    ("output", "path"),
    [
        ({"clientEventId": "a\x00"}, "clientEventId"),
        ({"profile": {"kind": "k\x00", "value": "v"}}, "profile.kind"),
        ({"profile": {"value": "v\ud800"}}, "profile.value"),
        ({"payload": {"tags": [{"name": "t\x00", "value": "v"}]}}, "payload.tags[0].name"),
        ({"payload": {"tags": [{"name": "t", "value": ["ok", "v\x00"]}]}}, "payload.tags[0].value[1]"),
        ({"reverses": "r\x00"}, "reverses.clientEventId"),
    ],
)
def test_text_no_database_can_store_is_a_shape_error(output: dict[str, object], path: str) -> None:
    (error,) = check_shape(output)
    assert isinstance(error, MappingError)
    assert error.path == path


def test_mapped_events_are_counted_before_they_are_checked() -> None:
    assert len(check_shape([{}] * 3, max_events=3)) == 3
    with pytest.raises(MappingError, match="returned 4 events for one raw event; at most 3") as caught:
        check_shape([{}] * 4, max_events=3)
    assert caught.value.code == "mapping_too_many_events"
    check_request_total(10, 10)
    with pytest.raises(PayloadTooLarge) as too_many:
        check_request_total(11, 10)
    assert too_many.value.code == "too_many_events"


def test_a_catastrophic_regex_stops_at_the_deadline_with_its_position() -> None:
    mapping = CompiledMapping.compile('$match("' + "a" * 40 + '!", /^(a|a)+$/)', timeout_ms=200)
    started = time.monotonic()
    with pytest.raises(MappingError) as caught:
        mapping.evaluate({})
    assert time.monotonic() - started < 1
    assert caught.value.jsonata_code == "U1001"
    assert caught.value.position == 7
    assert "/^(a|a)+$/ did not finish matching within the 200 ms limit" in caught.value.message


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('$replace("abc", /(b)/, "[$12]")', "a[b2]c"),  # $12 with one group: group 1, then "2"
        ('$split("a1b2c", /[0-9]/)', ["a", "b", "c"]),
        ('$contains("abc", /B/i)', True),
        ('$match("abcb", /b/).index', [1, 3]),
        ('$replace("abc", /b/, function($m) {"X"})', "aXc"),
        ("$match(s, /^(a+)+$/)", None),  # nested repeats: no backtracking blow-up in `regex`
    ],
)
def test_regexes_behave_as_before(expression: str, expected: object) -> None:
    assert CompiledMapping.compile(expression).evaluate({"s": "a" * 40 + "!"}) == expected


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ('$fromMillis(0, "[Y,9999999999]")', "the width 9999999999"),
        ('$fromMillis(0, "[Y,*-100]")', "the width 100"),
        ('$toMillis("2020", "[Y,2-65]")', "the width 65"),
        ('$formatInteger(12, $pad("", 300, "0"))', "a picture string of 300 characters"),
        ('$formatNumber(12, $pad("", 300, "#"))', "a picture string of 300 characters"),
    ],
)
def test_picture_strings_are_bounded(expression: str, fragment: str) -> None:
    with pytest.raises(MappingError, match="U1001") as caught:
        CompiledMapping.compile(expression).evaluate({})
    assert fragment in caught.value.message
    assert "INBOUND_MAPPING_MAX_ITEMS" not in caught.value.message


def test_ordinary_pictures_still_work() -> None:
    assert CompiledMapping.compile('$fromMillis(0, "[Y0001]-[M01]-[D01]")').evaluate({}) == "1970-01-01"
    assert CompiledMapping.compile('$formatNumber(1234.5, "#,##0.00")').evaluate({}) == "1,234.50"


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        (".".join(["a"] * 600), "a path has more than 500 steps"),
        ("a[x = 1]." * 600 + "b", "a path has more than 500 steps"),  # a predicate does not end a path
        ("a.b+" * 11_000 + "1", "more than 10000 path steps"),
        ('"' + "x" * 70_000 + '"', "65536"),
    ],
)
def test_expressions_too_big_to_parse_quickly_are_refused_first(expression: str, fragment: str) -> None:
    started = time.monotonic()
    with pytest.raises(MappingError, match=fragment) as caught:
        CompiledMapping.compile(expression)
    assert caught.value.code == "mapping_too_large"
    assert time.monotonic() - started < 0.5


def test_many_short_paths_and_dots_in_strings_are_fine() -> None:
    CompiledMapping.compile(" & ".join(["a.b.c"] * 400))
    assert CompiledMapping.compile('"' + "." * 5000 + '"').evaluate({}) == "." * 5000
