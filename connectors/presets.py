"""Named hub-signature presets: exactly how each sender signs its webhooks.

Each preset is a full set of `hub_signature` settings, checked against the vendor's own
documentation (URL in `docs_url`). Only `tolerance_seconds` may be changed by a connector that
uses a preset: it is a policy of the receiver, while every other field is what the sender does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from connectors.algorithms import ASYMMETRIC

OVERRIDABLE = frozenset({"tolerance_seconds"})


@dataclass(frozen=True)
class Preset:
    name: str
    vendor: str
    docs_url: str
    summary: str
    # Who creates the secret: "sender" (copy it from the vendor's settings into Inbound) or
    # "inbound" (generate it here and paste it into the vendor's settings).
    secret_from: str
    settings: Mapping[str, Any]

    @property
    def public_key(self) -> bool:
        """Signed with the sender's private key: the credential is its public key, never made here."""
        return self.settings.get("algorithm") in ASYMMETRIC


def _hub(**fields: Any) -> Mapping[str, Any]:
    base: dict[str, Any] = {
        "algorithm": "sha256",
        "encoding": "hex",
        "prefix": "",
        "header_format": "plain",
        "signed_payload": "{body}",
        "timestamp_header": None,
        "timestamp_format": "unix",
        "tolerance_seconds": None,
        "id_header": None,
        "secret_encoding": "text",
    }
    base.update(fields)
    return MappingProxyType(base)


_ALL = (
    Preset(
        name="github",
        vendor="GitHub",
        docs_url="https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries",
        summary="X-Hub-Signature-256: sha256= + hex HMAC-SHA256 of the body",
        secret_from="inbound",
        settings=_hub(header="X-Hub-Signature-256", prefix="sha256="),
    ),
    Preset(
        name="shopify",
        vendor="Shopify",
        docs_url="https://shopify.dev/docs/apps/build/webhooks/verify-deliveries",
        summary="X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the body",
        secret_from="sender",
        settings=_hub(header="X-Shopify-Hmac-Sha256", encoding="base64"),
    ),
    Preset(
        name="stripe",
        vendor="Stripe",
        docs_url="https://docs.stripe.com/webhooks#verify-manually",
        summary="Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of '{t}.{body}'>; 5 minutes",
        secret_from="sender",
        # The whsec_ secret is used as text (not base64-decoded), unlike Standard Webhooks. Stripe's
        # libraries refuse only a timestamp older than 300 s; Inbound refuses 300 s either way.
        settings=_hub(
            header="Stripe-Signature",
            prefix="v1=",
            header_format="stripe",
            signed_payload="{timestamp}.{body}",
            tolerance_seconds=300,
        ),
    ),
    Preset(
        name="square",
        vendor="Square",
        docs_url="https://developer.squareup.com/docs/webhooks/step3validate",
        summary="x-square-hmacsha256-signature: base64 HMAC-SHA256 of the notification URL + body",
        secret_from="sender",
        # Square signs the notification URL as entered in its portal: the connector's URL, which
        # Inbound builds from INBOUND_PUBLIC_URL (set it behind a proxy).
        settings=_hub(
            header="x-square-hmacsha256-signature", encoding="base64", signed_payload="{url}{body}"
        ),
    ),
    Preset(
        name="hubspot",
        vendor="HubSpot",
        docs_url="https://developers.hubspot.com/docs/api/webhooks/validating-requests",
        summary="X-HubSpot-Signature-v3: base64 HMAC-SHA256 of method + URL + body + timestamp (ms); "
        "5 minutes",
        secret_from="sender",
        settings=_hub(
            header="X-HubSpot-Signature-v3",
            encoding="base64",
            signed_payload="{method}{url}{body}{timestamp}",
            timestamp_header="X-HubSpot-Request-Timestamp",
            timestamp_format="unix_ms",
            tolerance_seconds=300,
        ),
    ),
    Preset(
        name="twilio",
        vendor="Twilio",
        docs_url="https://www.twilio.com/docs/usage/webhooks/webhooks-security",
        summary="X-Twilio-Signature: base64 HMAC-SHA1 of the URL + the form fields sorted (name then value)",
        secret_from="sender",
        # Twilio signs the URL it calls: the connector's URL with its query string, as entered in
        # Twilio (Inbound builds it from INBOUND_PUBLIC_URL).
        settings=_hub(
            header="X-Twilio-Signature", algorithm="sha1", encoding="base64", signed_payload="{url}{form}"
        ),
    ),
    Preset(
        name="mandrill",
        vendor="Mandrill (Mailchimp Transactional)",
        docs_url="https://mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks/",
        summary="X-Mandrill-Signature: base64 HMAC-SHA1 of the URL + the form fields sorted by name",
        secret_from="sender",
        settings=_hub(
            header="X-Mandrill-Signature", algorithm="sha1", encoding="base64", signed_payload="{url}{form}"
        ),
    ),
    Preset(
        name="sendgrid",
        vendor="SendGrid (Twilio) Event Webhook",
        docs_url="https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features",
        summary="X-Twilio-Email-Event-Webhook-Signature: base64 ECDSA P-256 of timestamp + body; public key",
        secret_from="sender",
        # Asymmetric: the credential is SendGrid's verification (public) key. SendGrid retries for
        # up to 72 hours, re-sending the same signed timestamp: a day's tolerance, the most allowed.
        settings=_hub(
            header="X-Twilio-Email-Event-Webhook-Signature",
            algorithm="ecdsa-p256-sha256",
            encoding="base64",
            signed_payload="{timestamp}{body}",
            timestamp_header="X-Twilio-Email-Event-Webhook-Timestamp",
            tolerance_seconds=86_400,
        ),
    ),
    Preset(
        name="meta",
        vendor="Meta (WhatsApp, Messenger, Instagram)",
        docs_url="https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads",
        summary="X-Hub-Signature-256: sha256= + hex HMAC-SHA256 of the body, with the app secret",
        secret_from="sender",
        settings=_hub(header="X-Hub-Signature-256", prefix="sha256="),
    ),
    Preset(
        name="intercom",
        vendor="Intercom",
        docs_url="https://developers.intercom.com/docs/references/webhooks/webhook-models#signed-notifications",
        summary="X-Hub-Signature: sha1= + hex HMAC-SHA1 of the body, with the app's client secret",
        secret_from="sender",
        settings=_hub(header="X-Hub-Signature", algorithm="sha1", prefix="sha1="),
    ),
    Preset(
        name="paddle",
        vendor="Paddle",
        docs_url="https://developer.paddle.com/webhooks/signature-verification",
        summary="Paddle-Signature: ts=<unix seconds>;h1=<hex HMAC-SHA256 of '{ts}:{body}'>; 5 seconds",
        secret_from="sender",
        # Paddle's SDK refuses a timestamp more than 5 s off; raise tolerance_seconds for slow clocks.
        settings=_hub(
            header="Paddle-Signature",
            prefix="h1=",
            header_format="paddle",
            signed_payload="{timestamp}:{body}",
            tolerance_seconds=5,
        ),
    ),
    Preset(
        name="standard-webhooks",
        vendor="Standard Webhooks / Svix",
        docs_url="https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md",
        summary="webhook-signature: v1,<base64 HMAC-SHA256 of '{id}.{timestamp}.{body}'>; "
        "whsec_ key base64-decoded; svix-* headers accepted; 5 minutes",
        secret_from="sender",
        settings=_hub(
            header="webhook-signature",
            encoding="base64",
            prefix="v1,",
            header_format="standard-webhooks",
            signed_payload="{id}.{timestamp}.{body}",
            timestamp_header="webhook-timestamp",
            tolerance_seconds=300,
            id_header="webhook-id",
            secret_encoding="base64",
        ),
    ),
    Preset(
        name="standard-webhooks-v1a",
        vendor="Standard Webhooks (asymmetric, v1a)",
        docs_url="https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md",
        summary="webhook-signature: v1a,<base64 ed25519 signature of '{id}.{timestamp}.{body}'>; "
        "the sender's whpk_ public key; svix-* headers accepted; 5 minutes",
        secret_from="sender",
        # Asymmetric: the credential is the sender's public key; Inbound verifies, never signs.
        settings=_hub(
            header="webhook-signature",
            algorithm="ed25519",
            encoding="base64",
            prefix="v1a,",
            header_format="standard-webhooks",
            signed_payload="{id}.{timestamp}.{body}",
            timestamp_header="webhook-timestamp",
            tolerance_seconds=300,
            id_header="webhook-id",
        ),
    ),
    Preset(
        name="slack",
        vendor="Slack",
        docs_url="https://api.slack.com/authentication/verifying-requests-from-slack",
        summary="X-Slack-Signature: v0= + hex HMAC-SHA256 of 'v0:{timestamp}:{body}'; 5 minutes",
        secret_from="sender",
        settings=_hub(
            header="X-Slack-Signature",
            prefix="v0=",
            signed_payload="v0:{timestamp}:{body}",
            timestamp_header="X-Slack-Request-Timestamp",
            tolerance_seconds=300,
        ),
    ),
    Preset(
        name="typeform",
        vendor="Typeform",
        docs_url="https://www.typeform.com/developers/webhooks/secure-your-webhooks/",
        summary="Typeform-Signature: sha256= + base64 HMAC-SHA256 of the body",
        secret_from="inbound",
        settings=_hub(header="Typeform-Signature", encoding="base64", prefix="sha256="),
    ),
    Preset(
        name="woocommerce",
        vendor="WooCommerce",
        docs_url="https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks",
        summary="X-WC-Webhook-Signature: base64 HMAC-SHA256 of the body",
        secret_from="inbound",
        # WooCommerce keys the HMAC with wp_specialchars_decode(secret): a secret without "&" (such as
        # the hex ones Inbound generates) is used as it is.
        settings=_hub(header="X-WC-Webhook-Signature", encoding="base64"),
    ),
    Preset(
        name="zendesk",
        vendor="Zendesk",
        docs_url="https://developer.zendesk.com/documentation/webhooks/verifying/",
        summary="X-Zendesk-Webhook-Signature: base64 HMAC-SHA256 of timestamp + body, "
        "X-Zendesk-Webhook-Signature-Timestamp in ISO 8601; 5 minutes",
        secret_from="sender",
        # TIMESTAMP + BODY as the current page says (an older copy said BODY + TIMESTAMP, and its
        # example matched that order). Zendesk names no tolerance; 5 minutes is ours.
        settings=_hub(
            header="X-Zendesk-Webhook-Signature",
            encoding="base64",
            signed_payload="{timestamp}{body}",
            timestamp_header="X-Zendesk-Webhook-Signature-Timestamp",
            timestamp_format="iso8601",
            tolerance_seconds=300,
        ),
    ),
    Preset(
        name="segment",
        vendor="Segment (Twilio) Webhooks destination",
        docs_url="https://www.twilio.com/docs/segment/connections/destinations/catalog/actions-webhook",
        summary="X-Signature: hex HMAC-SHA1 of the body",
        secret_from="inbound",
        settings=_hub(header="X-Signature", algorithm="sha1"),
    ),
)

PRESETS: Mapping[str, Preset] = MappingProxyType({p.name: p for p in _ALL})


# Presets for CDP SDKs: shorthands for the auth a client library sends with its write key (see
# docs/sdks.md). They expand when a connector is saved; the connector keeps the plain settings.
SDK_PRESETS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "segment-sdk": MappingProxyType({"method": "basic"}),
        "rudderstack-sdk": MappingProxyType({"method": "basic"}),
        "jitsu": MappingProxyType({"method": "header_token", "header": "X-Write-Key"}),
    }
)
