"""The connector's auth method in words, step by step, for a developer who has never seen it."""

from __future__ import annotations

from typing import Any

from connectors.auth import (
    PRESETS,
    AuthSettings,
    BasicSettings,
    HeaderTokenSettings,
    HubSignatureSettings,
    QueryTokenSettings,
)
from connectors.timestamps import describe_format
from handoff.recipe import SECRET_PLACEHOLDER, TOKEN_PLACEHOLDER


def explain(auth: AuthSettings, url: str) -> dict[str, Any]:
    """`summary` (one sentence), `steps` (ordered sentences) and, for a preset, who it imitates."""
    if isinstance(auth, QueryTokenSettings):
        return {
            "summary": f"Put the connector's token in the query string as `{auth.param}`.",
            "steps": [
                f"POST the event to `{url}?{auth.param}={TOKEN_PLACEHOLDER}`.",
                "The token travels in the URL, so it may appear in proxy and browser logs: "
                "keep the URL private.",
            ],
        }
    if isinstance(auth, HeaderTokenSettings):
        value = f"{auth.scheme} {TOKEN_PLACEHOLDER}" if auth.scheme else TOKEN_PLACEHOLDER
        return {
            "summary": f"Send the connector's token in the `{auth.header}` header.",
            "steps": [f"POST the event to `{url}` with the header `{auth.header}: {value}`."],
        }
    if isinstance(auth, BasicSettings):
        user = (
            "the token as the user name and an empty password"
            if auth.password == "ignore"
            else ("the token's user name and password (the token is user:password)")
        )
        return {
            "summary": "Use HTTP Basic auth with the connector's token as the user name "
            "(a CDP SDK's write key).",
            "steps": [
                f"POST the event to `{url}` with HTTP Basic auth: {user}.",
                "CDP SDKs do this when given the token as their write key and the URL as their host "
                "(see docs/sdks.md).",
            ],
        }
    if isinstance(auth, HubSignatureSettings):
        return _hub(auth, url)
    raise TypeError(f"unknown auth settings {type(auth).__name__}")


def _signature_header(auth: HubSignatureSettings) -> str:
    if auth.header_format == "stripe":
        return f"`{auth.header}: t=<timestamp>,{auth.prefix}<signature>`"
    if auth.header_format == "paddle":
        return f"`{auth.header}: ts=<timestamp>;{auth.prefix}<signature>`"
    return f"`{auth.header}: {auth.prefix}<signature>`"


def _hub(auth: HubSignatureSettings, url: str) -> dict[str, Any]:
    algorithm = "HMAC-" + auth.algorithm.upper()
    steps = [f"Serialise the event to the exact bytes you will send as the body of a POST to `{url}`."]
    if auth.has_id:
        steps.append(
            f"Make a unique message id for this delivery and send it in the `{auth.id_header}` header."
        )
    if auth.has_timestamp:
        where = {
            "stripe": "the `t=` item of the signature header",
            "paddle": "the `ts=` item of the signature header",
        }.get(auth.header_format, f"the `{auth.timestamp_header}` header")
        steps.append(
            f"Take the current time as {describe_format(auth.timestamp_format)}, at send time, "
            f"and send it in {where}."
        )
    steps.append(
        f"Build the signed content `{auth.signed_payload}`, where `{{body}}` is the body's exact bytes"
        + (", `{timestamp}` the timestamp" if auth.has_timestamp else "")
        + (" and `{id}` the message id" if auth.has_id else "")
        + "."
    )
    if auth.secret_encoding == "base64":
        key = "the bytes you get by base64-decoding the secret after its `whsec_` prefix"
    else:
        key = "the secret's UTF-8 bytes"
    steps.append(f"Compute the {algorithm} of the signed content; the key is {key}.")
    steps.append(f"Encode the digest as {auth.encoding} and send it as {_signature_header(auth)}.")
    if auth.tolerance_seconds is not None and auth.has_timestamp:
        steps.append(
            f"A request whose timestamp is more than {auth.tolerance_seconds} seconds away from the "
            "server's clock is refused, so compute the timestamp when you send, not before."
        )
    explained: dict[str, Any] = {
        "summary": f"Sign the body with {algorithm} using the connector's secret ({SECRET_PLACEHOLDER}); "
        "the secret itself is never sent.",
        "steps": steps,
    }
    if auth.preset is not None:
        preset = PRESETS[auth.preset]
        explained["preset"] = {
            "name": preset.name,
            "vendor": preset.vendor,
            "docsUrl": preset.docs_url,
            "note": f"This is how {preset.vendor} signs its webhooks: if {preset.vendor} is the sender, "
            f"enter `{url}` as the webhook URL and "
            + (
                f"copy {preset.vendor}'s signing secret into the connector."
                if preset.secret_from == "sender"
                else f"paste the connector's secret into {preset.vendor}'s webhook settings."
            ),
        }
    return explained
