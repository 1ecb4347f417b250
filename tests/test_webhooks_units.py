"""The pure parts of outgoing webhooks and reactions: signatures (against the standardwebhooks
package), the retry schedule, and the shapes the admin API takes."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from api.models.webhooks import WebhookEndpointInput
from api.validation import read_input
from earning_rules import parse_rule
from earning_rules.reactions import Reaction, parse_reactions
from errors import InvalidInput, InvalidRule
from webhooks import signing
from webhooks.retry import DEFAULT_SCHEDULE, next_wait, parse_schedule


def test_our_signature_is_the_reference_librarys() -> None:
    secret = signing.new_secret()
    body = b'{"type":"points.awarded","data":{"points":5}}'
    at = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    ours = signing.signature(secret, "msg_1", int(at.timestamp()), body)
    assert ours == Webhook(secret).sign("msg_1", at, body.decode())


def test_two_secrets_sign_and_either_verifies() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    body = b'{"a":1}'
    now = int(datetime.now(UTC).timestamp())
    headers = signing.headers([new, old], "msg_2", now, body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)


def test_the_default_schedule_tries_for_about_a_day() -> None:
    waits = parse_schedule(DEFAULT_SCHEDULE)
    assert len(waits) + 1 == 8 and 26 * 3600 < sum(waits) < 28 * 3600
    rng = random.Random(7)
    for attempt, wait in enumerate(waits, start=1):
        got = next_wait(waits, attempt, rng)
        assert got is not None and 0.8 * wait <= got <= 1.2 * wait
    assert next_wait(waits, len(waits) + 1, rng) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [("5s,,5m", "'' is not a duration"), ("5x", "'5x' is not a duration"), ("-1s", "'-1s'")],
)
def test_a_bad_schedule_is_named(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_schedule(text)


def test_endpoint_shapes() -> None:
    given = read_input(
        WebhookEndpointInput,
        {"url": " https://x.test/h ", "kinds": ["badge.earned", "badge.earned"]},
        code="invalid_webhook_endpoint",
    )
    assert (given.url, given.kinds) == ("https://x.test/h", ["badge.earned"])
    for body, problem in (
        ({"url": "https://u:p@x.test", "kinds": ["event.processed"]}, "carries a user or password"),
        ({"url": "https://x.test", "kinds": "event.processed"}, "must be a non-empty list"),
        (
            {"url": "https://x.test", "kinds": ["event.processed"], "test": "no"},
            'test: "no" must be true or false',
        ),
        ([], "body: expected an object"),
        ({"url": "https://x.test", "kinds": ["points.awarded", "nope"]}, r'kinds\[1\]: "nope" is not a kind'),
        (
            {"url": "https://x.test", "kinds": []},
            "kinds: \\[\\] must be a non-empty list of: event.processed",
        ),
    ):
        with pytest.raises(InvalidInput, match=problem):
            read_input(WebhookEndpointInput, body, code="invalid_webhook_endpoint")


def test_reactions_shapes() -> None:
    assert parse_reactions([{"badge": "bdg_1"}, {"webhook": "we_1"}]) == (
        Reaction("badge", "bdg_1"),
        Reaction("webhook", "we_1"),
    )
    for data, problem in (
        ({"badge": "x"}, "must be a list"),
        ([{"badge": "x"}, {"badge": "x"}], r"reactions\[1\]: .* is listed twice"),
        ([{"badge": 5}], r"reactions\[0\].badge"),
        ([{"badge": "x", "webhook": "y"}], "needs exactly one of badge, reward, webhook"),
    ):
        with pytest.raises(InvalidRule, match=problem):
            parse_reactions(data)
    only_reacts = parse_rule({"name": "Badge only", "reactions": [{"badge": "bdg_1"}]})
    assert only_reacts.reward is None and only_reacts.reactions == (Reaction("badge", "bdg_1"),)
