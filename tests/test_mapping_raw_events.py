"""map_raw_event: a raw event and the request's bindings through a real mapping, with fan-out."""

from __future__ import annotations

import pytest

from errors import MappingError
from mapping import CompiledMapping, MappedEvent, map_raw_event

FAN_OUT = """
line_items.{
  "clientEventId": $$.id & "-" & sku,
  "profile": {"kind": $connector.eventType = "shop.order" ? "email" : "default", "value": $$.email},
  "payload": {
    "timestamp": $$.created,
    "tags": [{"name": "sku", "value": sku}, {"name": "via", "value": $headers."x-source"}],
    "counters": {"name": "amount", "value": price * quantity}
  }
}
"""


def test_map_raw_event_fans_out_with_bindings() -> None:
    body = {
        "id": "o1",
        "email": "ann@example.com",
        "created": 1795169700000,
        "line_items": [{"sku": "A", "price": 2, "quantity": 3}, {"sku": "B", "price": 1.5, "quantity": 2}],
    }
    results = map_raw_event(
        CompiledMapping.compile(FAN_OUT),
        body,
        headers={"X-Source": "web"},
        query={"token": "t"},
        connector={"id": "c1", "eventType": "shop.order"},
    )
    assert [r.to_json() for r in results if isinstance(r, MappedEvent)] == [
        {
            "clientEventId": f"o1-{sku}",
            "profile": {"kind": "email", "value": "ann@example.com"},
            "payload": {
                "timestamp": "2026-11-20T10:15:00Z",
                "tags": [{"name": "sku", "value": sku}, {"name": "via", "value": "web"}],
                "counters": [{"name": "amount", "value": amount}],
            },
        }
        for sku, amount in [("A", 6), ("B", 3.0)]
    ]


def test_map_raw_event_sees_the_query_string() -> None:
    mapping = CompiledMapping.compile('{"profile": {"value": $query.uid}}')
    [result] = map_raw_event(mapping, {}, headers={}, query={"uid": "42"}, connector={})
    assert isinstance(result, MappedEvent) and result.profile_value == "42"


def test_map_raw_event_raises_when_evaluation_fails() -> None:
    mapping = CompiledMapping.compile('{"profile": {"value": 1 + "a"}}')
    with pytest.raises(MappingError) as caught:
        map_raw_event(mapping, {}, headers={}, query={}, connector={})
    assert caught.value.jsonata_code == "T2002"


def test_a_single_matching_item_still_maps() -> None:
    # One line item: the JSONata path yields an object, not an array of one.
    results = map_raw_event(
        CompiledMapping.compile(FAN_OUT),
        {"id": "o2", "email": "b@example.com", "line_items": [{"sku": "A", "price": 1, "quantity": 1}]},
        headers={},
        query={},
        connector={},
    )
    assert [r.client_event_id for r in results if isinstance(r, MappedEvent)] == ["o2-A"]
