"""The mapped-event contract: what check_shape accepts, and the exact message for what it refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from errors import MappingError
from mapping import (
    CompiledMapping,
    Counter,
    MappedEvent,
    Tag,
    check_shape,
)

BIG = 820982911946154508123  # above 2**53


def event(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "clientEventId": "ord-1001",
        "profile": {"kind": "default", "value": "ann@example.com"},
        "payload": {
            "timestamp": "2026-11-20T10:15:00Z",
            "tags": [{"name": "theme", "value": "sport"}],
            "counters": [{"name": "total", "value": 3}],
        },
    }
    base.update(fields)
    return base


def payload(**fields: Any) -> dict[str, Any]:
    return event(payload=fields)


def one(output: Any) -> MappedEvent:
    [result] = check_shape(output)
    assert isinstance(result, MappedEvent), result
    return result


def refused(output: Any) -> MappingError:
    [result] = check_shape(output)
    assert isinstance(result, MappingError), result
    assert result.code == "mapping_shape_error"
    return result


# --- the happy path -----------------------------------------------------------------------------


def test_the_design_example_round_trips() -> None:
    mapped = one(event())
    assert mapped == MappedEvent(
        client_event_id="ord-1001",
        profile_kind="default",
        profile_value="ann@example.com",
        timestamp=datetime(2026, 11, 20, 10, 15, tzinfo=UTC),
        tags=(Tag("theme", "sport"),),
        counters=(Counter("total", 3),),
    )
    assert mapped.to_json() == event()
    assert mapped.payload_json() == event()["payload"]


def test_minimal_event_gets_defaults() -> None:
    mapped = one({"profile": {"value": "ann@example.com"}})
    assert (mapped.client_event_id, mapped.profile_kind, mapped.timestamp) == (None, "default", None)
    assert mapped.to_json() == {  # absent and null optional fields are left out, one rule for all
        "profile": {"kind": "default", "value": "ann@example.com"},
        "payload": {"tags": [], "counters": []},
    }


@pytest.mark.parametrize("output", [None, []])
def test_nothing_maps_to_no_events(output: Any) -> None:
    assert check_shape(output) == []


def test_the_profile_is_normalised_as_it_is_looked_up() -> None:
    # Was: the stored mapped event kept " Ann@Example.COM " while the profile and trace had it lowered.
    mapped = one(event(profile={"kind": " Email ", "value": " Ann@Example.COM "}, clientEventId=None))
    assert (mapped.profile_kind, mapped.profile_value) == ("email", "ann@example.com")
    assert mapped.to_json()["profile"] == {"kind": "email", "value": "ann@example.com"}
    assert "clientEventId" not in mapped.to_json()
    assert one(event(profile={"kind": "user_id", "value": " U-1 "})).profile_value == "U-1"


def test_missing_or_empty_profile_value_is_left_to_the_pipeline() -> None:
    assert one(event(profile=None)).profile_value is None
    assert one(event(profile={"kind": "email"})).profile_value is None
    assert one(event(profile={"value": ""})).profile_value == ""


# --- clientEventId ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a-1", "a-1"),
        (1001, "1001"),
        (1001.0, "1001"),
        (12.5, "12.5"),
        (BIG, str(BIG)),
        (None, None),
        ("", None),
    ],
)
def test_client_event_id_text_or_number(value: Any, expected: str | None) -> None:
    assert one(event(clientEventId=value)).client_event_id == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "clientEventId: expected text or a number, got true"),
        ({"id": 1}, "clientEventId: expected text or a number, got an object"),
        (["a"], "clientEventId: expected text or a number, got an array"),
        ("x" * 300, "clientEventId: too long: 300 characters, at most 256"),
    ],
)
def test_client_event_id_errors(value: Any, message: str) -> None:
    error = refused(event(clientEventId=value))
    assert error.message == message
    assert error.path == "clientEventId"


# --- profile ------------------------------------------------------------------------------------


def test_profile_value_numbers_are_written_exactly() -> None:
    mapped = one(event(profile={"kind": "user_id", "value": BIG}))
    assert (mapped.profile_kind, mapped.profile_value) == ("user_id", str(BIG))


@pytest.mark.parametrize("kind", [None, ""])
def test_profile_kind_defaults(kind: Any) -> None:
    assert one(event(profile={"kind": kind, "value": "x"})).profile_kind == "default"


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (42, "profile: expected an object, got 42"),
        ("ann@example.com", 'profile: expected an object, got "ann@example.com"'),
        ({"kind": 3, "value": "x"}, "profile.kind: expected text, got 3"),
        ({"kind": "k" * 65, "value": "x"}, "profile.kind: too long: 65 characters, at most 64"),
        ({"value": False}, "profile.value: expected text or a number, got false"),
        ({"value": ["a", "b"]}, "profile.value: expected text or a number, got an array"),
        ({"value": "v" * 513}, "profile.value: too long: 513 characters, at most 512"),
        ({"value": "x", "Kind": "email"}, "profile.Kind: unknown field; expected kind or value"),
    ],
)
def test_profile_errors(profile: Any, message: str) -> None:
    assert refused(event(profile=profile)).message == message


# --- unknown fields -----------------------------------------------------------------------------


def test_unknown_top_level_field_is_refused() -> None:
    output = event()
    output["clientEventID"] = output.pop("clientEventId")
    error = refused(output)
    assert (
        error.message == "clientEventID: unknown field; expected clientEventId, profile, payload or reverses"
    )
    assert error.path == "clientEventID"


def test_unknown_payload_field_is_refused() -> None:
    error = refused(payload(tag=[]))
    assert error.message == "payload.tag: unknown field; expected timestamp, tags or counters"


def test_unknown_tag_field_is_refused() -> None:
    error = refused(payload(tags=[{"name": "a", "val": "b"}]))
    assert error.message == "payload.tags[0].val: unknown field; expected name or value"


def test_payload_must_be_an_object() -> None:
    assert refused(event(payload=[1])).message == "payload: expected an object, got an array"


# --- tags ---------------------------------------------------------------------------------------


def test_tag_values_become_text() -> None:
    tags = [
        {"name": "s", "value": "x"},
        {"name": "i", "value": 7},
        {"name": "big", "value": BIG},
        {"name": "f", "value": 2.5},
        {"name": "b", "value": True},
        {"name": "absent"},
        {"name": "null", "value": None},
        {"name": "many", "value": ["red", 1, None, "blue"]},
    ]
    assert one(payload(tags=tags)).tags == (
        Tag("s", "x"),
        Tag("i", "7"),
        Tag("big", str(BIG)),
        Tag("f", "2.5"),
        Tag("b", "true"),
        Tag("many", "red"),
        Tag("many", "1"),
        Tag("many", "blue"),
    )


def test_a_single_tag_object_counts_as_a_list_of_one() -> None:
    assert one(payload(tags={"name": "a", "value": "b"})).tags == (Tag("a", "b"),)


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ("sport", 'payload.tags: expected an array of {name, value} objects, got "sport"'),
        (["sport"], 'payload.tags[0]: expected an object with name and value, got "sport"'),
        ([{"value": "x"}], "payload.tags[0].name: missing"),
        ([{"name": "", "value": "x"}], 'payload.tags[0].name: expected non-empty text, got ""'),
        ([{"name": 5, "value": "x"}], "payload.tags[0].name: expected non-empty text, got 5"),
        (
            [{"name": "a", "value": "x"}, {"name": "b", "value": {"k": 1}}],
            "payload.tags[1].value: expected text, got an object",
        ),
        (
            [{"name": "a", "value": ["x", ["y", {}]]}],
            "payload.tags[0].value[1][1]: expected text, got an object",
        ),
        ({"name": "a", "value": {}}, "payload.tags.value: expected text, got an object"),
    ],
)
def test_tag_errors(tags: Any, message: str) -> None:
    assert refused(payload(tags=tags)).message == message


# --- counters -----------------------------------------------------------------------------------


def test_counter_values_stay_exact_numbers() -> None:
    counters = [
        {"name": "i", "value": 3},
        {"name": "big", "value": BIG},
        {"name": "f", "value": 19.99},
        {"name": "neg", "value": -1},
        {"name": "optional"},
        {"name": "null", "value": None},
    ]
    result = one(payload(counters=counters)).counters
    assert result == (Counter("i", 3), Counter("big", BIG), Counter("f", 19.99), Counter("neg", -1))
    assert type(result[1].value) is int


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12", 'payload.counters[1].value: expected a number, got "12"'),
        (True, "payload.counters[1].value: expected a number, got true"),
        ([1, 2], "payload.counters[1].value: expected a number, got an array"),
        (float("nan"), "payload.counters[1].value: expected a number, got a non-finite number"),
    ],
)
def test_counter_value_errors(value: Any, message: str) -> None:
    error = refused(payload(counters=[{"name": "a", "value": 1}, {"name": "b", "value": value}]))
    assert error.message == message
    assert error.path == "payload.counters[1].value"


def test_counter_errors_name_the_field() -> None:
    assert refused(payload(counters=3)).message == (
        "payload.counters: expected an array of {name, value} objects, got 3"
    )
    assert refused(payload(counters=[{"value": 1}])).message == "payload.counters[0].name: missing"


# --- batches and fan-out ------------------------------------------------------------------------


def test_an_array_gives_one_result_per_item_and_bad_items_stand_alone() -> None:
    results = check_shape([event(clientEventId="a"), event(clientEventId="b"), 42, event(profile=7)])
    assert [r.client_event_id for r in results[:2] if isinstance(r, MappedEvent)] == ["a", "b"]
    assert isinstance(results[2], MappingError) and isinstance(results[3], MappingError)
    assert results[2].message == "[2]: expected an object, got 42"
    assert results[3].message == "[3].profile: expected an object, got 7"
    assert results[3].path == "[3].profile"


def test_batch_paths_reach_nested_fields() -> None:
    results = check_shape([event(), payload(counters=[{"name": "x", "value": "1"}])])
    assert isinstance(results[1], MappingError)
    assert results[1].message == '[1].payload.counters[0].value: expected a number, got "1"'
    results = check_shape([payload(timestamp="soon")])
    assert isinstance(results[0], MappingError) and results[0].path == "[0].payload.timestamp"


def test_output_that_is_not_an_object_is_refused() -> None:
    error = refused("hello")
    assert error.message == 'the mapping must return an object or an array of objects, got "hello"'


def test_a_function_is_not_an_event() -> None:
    expression = '{"clientEventId": function($x){$x}}'
    output = CompiledMapping.compile(expression, engine="jsonata-python").evaluate(None)
    assert refused(output).message == "clientEventId: expected text or a number, got a function"
    # jlens leaves functions out of objects, as JSON does: the event simply has no clientEventId.
    assert CompiledMapping.compile(expression, engine="jlens").evaluate(None) == {}


# --- reverses (refunds) -------------------------------------------------------------------------


def test_reverses_in_full_or_by_fraction() -> None:
    from decimal import Decimal

    [full] = check_shape(event(reverses="ord-1"))
    assert isinstance(full, MappedEvent) and full.reverses is not None
    assert (full.reverses.client_event_id, full.reverses.fraction) == ("ord-1", Decimal(1))
    [part] = check_shape(event(reverses={"clientEventId": 1001, "fraction": 0.25}))
    assert isinstance(part, MappedEvent) and part.reverses is not None
    assert (part.reverses.client_event_id, part.reverses.fraction) == ("1001", Decimal("0.25"))
    assert part.to_json()["reverses"] == {"clientEventId": "1001", "fraction": 0.25}


@pytest.mark.parametrize(
    ("reverses", "message"),
    [
        ({"fraction": 0.5}, "reverses.clientEventId: required: the clientEventId of the event to reverse"),
        ({"clientEventId": "a", "fraction": 1.5}, "reverses.fraction: 1.5 must be above 0 and at most 1"),
        ({"clientEventId": "a", "fraction": 0}, "reverses.fraction: 0 must be above 0 and at most 1"),
        (
            {"clientEventId": "a", "fraction": "half"},
            'reverses.fraction: expected a number between 0 and 1, got "half"',
        ),
        (
            {"clientEventId": "a", "share": 1},
            "reverses.share: unknown field; expected clientEventId or fraction",
        ),
    ],
)
def test_reverses_errors(reverses: Any, message: str) -> None:
    assert refused(event(reverses=reverses)).message == message


def test_a_skip_leaves_an_item_out_on_purpose() -> None:
    from errors import SkippedByMapping

    [skipped] = check_shape({"skip": "  identify calls earn nothing "})
    assert isinstance(skipped, SkippedByMapping) and skipped.message == "identify calls earn nothing"
    assert skipped.code == "skipped"
    mixed = check_shape([{"skip": "page view"}, {"profile": {"value": "ann@example.com"}}])
    assert isinstance(mixed[0], SkippedByMapping) and not isinstance(mixed[1], MappingError)


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ({"skip": ""}, "skip: expected the reason as a text"),
        ({"skip": 3}, "skip: expected the reason as a text of 1 to 500 characters, got 3"),
        ({"skip": "x" * 501}, "skip: expected the reason"),
        ({"skip": "why", "profile": {"value": "a"}}, "profile: a skipped item holds only skip"),
    ],
)
def test_a_skip_names_what_is_wrong(output: Any, message: str) -> None:
    [error] = check_shape(output)
    assert isinstance(error, MappingError) and error.code != "skipped"
    assert message in error.message, error.message
