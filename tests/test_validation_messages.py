"""The one message format of the admin API, `field: value problem`, on the cases that shape it."""

from __future__ import annotations

from typing import Any

import pytest

from api.models.connectors import ConnectorInput, ConnectorPatch
from api.models.members import MemberInput
from api.models.rewards import RewardInput
from api.validation import read_input
from errors import InvalidInput


def _message(model: Any, body: Any) -> str:
    with pytest.raises(InvalidInput) as caught:
        read_input(model, body, code="invalid_x")
    assert caught.value.code == "invalid_x"
    return caught.value.message


@pytest.mark.parametrize(
    ("model", "body", "message"),
    [
        (ConnectorInput, {"name": "x", "mode": "tset"}, 'mode: "tset" is not one of live, test'),
        # An unknown field is named first, with the fields there are, even beside other mistakes.
        (ConnectorInput, {"name": 5, "mdoe": "test"}, "mdoe: unknown field; expected one of "),
        (
            ConnectorInput,
            {"name": "x", "allowedOrigins": ["ftp://x"]},
            'allowedOrigins[0]: "ftp://x" must be an origin',
        ),
        (ConnectorInput, {}, "name: is required"),
        (
            ConnectorInput,
            {"name": "x", "createProfiles": "yes"},
            'createProfiles: "yes" must be true or false',
        ),
        # A secret is described, never quoted back.
        (ConnectorInput, {"name": "x", "secret": " "}, 'secret: "<1 characters>" must be a non-empty text'),
        (ConnectorPatch, {"secret": "s3cret-value"}, "secret: set at creation only"),
        (ConnectorPatch, {"name": None}, "name: null must be a non-empty text of at most 200 characters"),
        (
            RewardInput,
            {"name": "x", "cost": 5, "limit": {"max": 1, "period": "fortnight"}},
            'limit.period: "fortnight" is not one of day, week, month, year, ever',
        ),
        (
            RewardInput,
            {"name": "x", "cost": 5, "limit": {"max": 1, "every": 2}},
            "limit.every: unknown field; expected one of max, period",
        ),
        (
            RewardInput,
            {
                "name": "x",
                "cost": 5,
                "availableFrom": "2026-12-02T00:00:00Z",
                "availableUntil": "2026-12-01T00:00:00Z",
            },
            'availableUntil: "2026-12-01T00:00:00Z" must be after availableFrom',
        ),
        (
            MemberInput,
            {"identities": [{"value": "a@b.c"}], "attributes": {"bad name": 1}},
            'attributes.bad name: "bad name" is not a name',
        ),
        (
            MemberInput,
            {"identities": [{"value": "a@b.c"}], "attributes": {"tier": [1]}},
            "attributes.tier: [1] must be text",
        ),
        (
            MemberInput,
            [],
            'body: expected an object such as {"identities": [{"value": "ann@example.com"}]}; got []',
        ),
    ],
)
def test_each_mistake_reads_field_value_problem(model: Any, body: Any, message: str) -> None:
    assert _message(model, body).startswith(message)


def test_a_secret_never_appears_in_its_message() -> None:
    assert "s3cret" not in _message(ConnectorInput, {"name": "x", "secret": "s3cret" * 100})


@pytest.mark.parametrize(
    ("enhancers", "message"),
    [
        ([{"kind": "random"}, {"kind": "random"}], "enhancers[1].kind: 'random' is listed twice"),
        ([{"kind": "random", "attributes": ["tier"]}], "enhancers[0].attributes: unknown for 'random'"),
        ([{"kind": "weather"}], 'enhancers[0].kind: "weather" is not one of random, time_parts'),
        ([{"kind": "random"}] * 11, "enhancers: "),
    ],
)
def test_an_event_types_enhancers_are_checked_in_shape_then_in_meaning(
    enhancers: list[dict[str, Any]], message: str
) -> None:
    from api.models.event_types import EventTypeInput
    from event_types.enhancers import parse_enhancers

    body = {"name": "shop.visit", "schema": {"type": "object"}, "enhancers": enhancers}
    with pytest.raises(InvalidInput) as caught:
        model = read_input(EventTypeInput, body, code="invalid_event_type")
        parse_enhancers(model.columns()["enhancers"])
    assert caught.value.message.startswith(message), caught.value.message
