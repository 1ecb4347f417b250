"""What of a request's headers and query string is kept on its log row: all of it but credentials.

Replay and samples feed the kept headers and query back to the mapping as `$headers` and
`$query`, so a mapping that reads them maps a replayed event as it mapped the original. Never
kept: `authorization`, `cookie`, `proxy-authorization`, the connector's token header
(`header_token`), its signature header (`hub_signature`, with the `svix-` spelling Standard
Webhooks senders may use) and its token query parameter (`query_token`); a write key repeated in
the body (`writeKey`, as Segment-compatible SDKs send it) is masked in the raw event. Signature timestamp
and id headers are not secrets and stay. Transport headers (`content-length`, `connection`, …)
are not kept either: they describe the delivery, not the event.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from connectors.auth import AuthSettings, HeaderTokenSettings, HubSignatureSettings, QueryTokenSettings

ALWAYS_DROPPED = frozenset({"authorization", "proxy-authorization", "cookie"})
# Hop-by-hop and framing headers describe one delivery, not the event: a sample or a replay that
# kept them (the whole batch's content-length, say) would depend on how the request travelled.
TRANSPORT = frozenset(
    {"connection", "content-length", "expect", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"}
)


def secret_headers(auth: AuthSettings) -> frozenset[str]:
    """Lower-cased names of the headers that carry this connector's credentials."""
    names = set(ALWAYS_DROPPED | TRANSPORT)
    if isinstance(auth, HeaderTokenSettings):
        names.add(auth.header.lower())
    elif isinstance(auth, HubSignatureSettings):
        header = auth.header.lower()
        names.add(header)
        if header.startswith("webhook-"):
            names.add("svix-" + header.removeprefix("webhook-"))
    return frozenset(names)


def secret_params(auth: AuthSettings) -> frozenset[str]:
    return frozenset({auth.param}) if isinstance(auth, QueryTokenSettings) else frozenset()


def redact(
    auth: AuthSettings,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    secrets: Collection[str] = (),
) -> tuple[dict[str, str], dict[str, str]]:
    """(headers with lower-cased names, query), credentials left out: those the auth method names,
    and any value holding one of `secrets` whatever its name (a token sent as `?Token=` or in
    the wrong header is still a token)."""
    dropped, params = secret_headers(auth), secret_params(auth)
    kept_headers = {
        k.lower(): v for k, v in headers.items() if k.lower() not in dropped and not _holds(v, secrets)
    }
    kept_query = {k: v for k, v in query.items() if k not in params and not _holds(v, secrets)}
    return kept_headers, kept_query


def _holds(value: Any, secrets: Collection[str]) -> bool:
    if isinstance(value, list):  # a repeated query parameter
        return any(_holds(v, secrets) for v in value)
    return isinstance(value, str) and any(secret and secret in value for secret in secrets)


# Credentials some senders repeat inside the body: Segment-compatible SDKs put the write key
# (the connector's token) in every batch. Kept in a raw event, it would be in the event log, a
# replay's input and an integration page's example.
BODY_CREDENTIALS = frozenset({"writeKey", "write_key"})
MASK = "[redacted]"


def mask_body_credentials(raw_events: list[Any]) -> list[Any]:
    """The raw events with any top-level write key replaced by a mask, before mapping and storing."""
    return [
        {k: (MASK if k in BODY_CREDENTIALS else v) for k, v in raw.items()}
        if isinstance(raw, dict) and BODY_CREDENTIALS & raw.keys()
        else raw
        for raw in raw_events
    ]
