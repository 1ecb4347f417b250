"""One line per route: what it does and which schemas it takes and answers.

Keyed by (method, path) exactly as in app.ROUTES; tests/test_openapi.py fails when a route has
no line here, or a line names no route, so the reference cannot drift from the code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Op:
    summary: str
    tag: str
    response: str | None = None  # a component name; None: no body
    status: int = 200
    body: str | None = None  # request body component
    query: tuple[str, ...] = ()  # names from QUERY
    errors: tuple[int, ...] = ()
    media: str = "application/json"
    list_of: bool = False  # the response is a page of `response` items
    error_media: str = "application/json"  # a page for people (a shared link) answers errors in HTML


QUERY: dict[str, tuple[str, dict[str, object]]] = {
    "limit": ("page size, 1 to 500 (default 50)", {"type": "integer", "minimum": 1, "maximum": 500}),
    "recent_limit": ("how many, 1 to 200 (default 20)", {"type": "integer", "minimum": 1, "maximum": 200}),
    "before": ("the `next` value of the previous page", {"type": "string"}),
    "connector": ("only this connector's items", {"type": "string"}),
    "request_status": ("an HTTP status code such as 401", {"type": "integer"}),
    "event_status": (
        "processed, duplicate, ignored, parked, skipped, rejected or failed",
        {"enum": ["processed", "duplicate", "ignored", "parked", "skipped", "rejected", "failed"]},
    ),
    "rule_status": ("draft, active, paused or archived", {"enum": ["draft", "active", "paused", "archived"]}),
    "since": ("ISO 8601 time, inclusive", {"type": "string", "format": "date-time"}),
    "until": ("ISO 8601 time, exclusive", {"type": "string", "format": "date-time"}),
    "test": ("true: test data only; false: live only", {"type": "boolean"}),
    "full": ("true: include the raw event, mapped event and trace", {"type": "boolean"}),
    "profile": ("a profile id", {"type": "integer"}),
    "refused": ("true: only requests answered 4xx or 5xx; false: only accepted ones", {"type": "boolean"}),
    "error": ("only requests refused with this error code, e.g. invalid_signature", {"type": "string"}),
    "prefix": ("the start of an identity value (emails match case-insensitively)", {"type": "string"}),
    "search_limit": ("how many, 1 to 200 (default 20)", {"type": "integer", "minimum": 1, "maximum": 200}),
    "audit_key": ("only this admin key's writes (its id)", {"type": "string"}),
    "path": ("only writes to paths that start with this", {"type": "string"}),
    "hours": (
        "how many hours back, 1 to 168 (default 24)",
        {"type": "integer", "minimum": 1, "maximum": 168},
    ),
    "action": ("only this action: purge_test_data or replay", {"enum": ["purge_test_data", "replay"]}),
    "request": ("a request id", {"type": "string"}),
    "kind": ("identity kind (default `default`)", {"type": "string"}),
    "identity": ("the start of a member's identity value", {"type": "string"}),
    "attribute": ("name:value, e.g. tier:gold", {"type": "string"}),
    "registered": ("true: registered members only; false: profiles events created", {"type": "boolean"}),
    "value": ("identity value, normalised as events are", {"type": "string"}),
    "token": ("query_token connectors: the token (the parameter name is configurable)", {"type": "string"}),
    "download": ("1: serve as an attachment", {"type": "boolean"}),
    "reward_status": ("only rewards in this state", {"enum": ["active", "paused", "archived"]}),
    "issued_status": ("only rewards in this state", {"enum": ["issued", "redeemed", "expired", "cancelled"]}),
    "message_status": ("only messages in this state", {"enum": ["pending", "delivered", "failed"]}),
    "example": (
        "saved (default): the newest saved sample, else one made up from the mapping; sample: always "
        "made up; latest: the latest real raw event, personal data replaced",
        {"enum": ["saved", "sample", "latest"]},
    ),
}

PATH_PARAMS = {
    "connector_id": "the connector's id (con_…)",
    "credential_id": "a credential's id",
    "name": "the event type's name, e.g. custom.basic",
    "request_id": "a request's id (req_…)",
    "event_id": "an event's id",
    "profile_id": "a profile's id",
    "rule_id": "a rule's id",
    "sample_id": "a sample's id",
    "token": "the signed token of a shared link",
    "key_id": "an admin key's id (key_…)",
    "call": "the SDK's call: batch, track, … (Segment-compatible) or the event type (Jitsu)",
    "member_id": "a member's id (a profile's id)",
    "token_id": "a member token's id (mtk_…)",
    "endpoint_id": "a webhook endpoint's id (we_…)",
    "badge_id": "a badge's id (bdg_…)",
    "reward_id": "a reward's id (rwd_…)",
    "issued_id": "an issued reward's id (a number)",
    "message_id": "a webhook message's row id (a number; its webhook-id is messageId)",
}

_LOG = ("connector", "since", "until", "limit", "before")
_C = "/api/connectors/{connector_id}"
_W = "/api/webhook-endpoints/{endpoint_id}"

OPERATIONS: dict[tuple[str, str], Op] = {
    ("GET", "/health"): Op("Liveness check", "service", "Health"),
    ("POST", "/ingest/{connector_id}"): Op(
        "Deliver one event or a batch",
        "ingest",
        "IngestResponse",
        body="IngestBody",
        query=("token",),
        errors=(400, 401, 404, 413, 415),
    ),
    ("GET", "/ingest/{connector_id}"): Op(
        "Pixel-style delivery (allowGet connectors): the query parameters are the event",
        "ingest",
        "IngestResponse",
        query=("token",),
        errors=(401, 404, 405),
    ),
    ("OPTIONS", "/ingest/{connector_id}"): Op(
        "CORS preflight for allowed origins", "ingest", status=204, errors=(403,)
    ),
    ("POST", "/ingest/{connector_id}/v1/{call}"): Op(
        "Segment-compatible SDKs (Segment, RudderStack): batch, track, identify, page, screen, group, alias",
        "ingest",
        "IngestResponse",
        body="RawEvent",
        errors=(400, 401, 404, 413, 415),
    ),
    ("POST", "/ingest/{connector_id}/api/s/s2s/{call}"): Op(
        "Jitsu, server to server: one event of type {call}",
        "ingest",
        "IngestResponse",
        body="RawEvent",
        errors=(400, 401, 404, 413, 415),
    ),
    ("POST", "/ingest/{connector_id}/api/s/{call}"): Op(
        "Jitsu, from a browser: one event of type {call}",
        "ingest",
        "IngestResponse",
        body="RawEvent",
        errors=(400, 401, 404, 413, 415),
    ),
    ("OPTIONS", "/ingest/{connector_id}/api/s/{call}"): Op(
        "CORS preflight for Jitsu's browser SDK", "ingest", status=204, errors=(403,)
    ),
    ("GET", "/api/connectors"): Op("List connectors", "connectors", "Connector", list_of=True),
    ("POST", "/api/connectors"): Op(
        "Create a connector (its credentials are shown this once)",
        "connectors",
        "Connector",
        201,
        "ConnectorInput",
        errors=(400, 422),
    ),
    ("GET", _C): Op("Read a connector (credentials masked)", "connectors", "Connector", errors=(404,)),
    ("PATCH", _C): Op(
        "Change a connector", "connectors", "Connector", body="ConnectorPatch", errors=(404, 422)
    ),
    ("DELETE", _C): Op("Delete a connector and its credentials", "connectors", status=204, errors=(404,)),
    ("POST", _C + "/disable"): Op("Stop accepting events", "connectors", "Connector", errors=(404,)),
    ("POST", _C + "/enable"): Op("Accept events again", "connectors", "Connector", errors=(404,)),
    ("GET", _C + "/credentials"): Op(
        "List credentials, masked", "connectors", "Credential", list_of=True, errors=(404,)
    ),
    ("POST", _C + "/credentials"): Op(
        "Add a credential for rotation", "connectors", "Credential", 201, "CredentialInput", errors=(404, 422)
    ),
    ("DELETE", _C + "/credentials/{credential_id}"): Op(
        "Revoke a credential", "connectors", status=204, errors=(404,)
    ),
    ("GET", _C + "/mapping-versions"): Op(
        "Every version of the mapping, oldest first",
        "connectors",
        "MappingVersion",
        list_of=True,
        errors=(404,),
    ),
    ("GET", _C + "/integration"): Op(
        "The integration page for the sender (JSON; HTML with Accept: text/html)",
        "hand-off",
        "IntegrationPage",
        query=("example", "download"),
        errors=(404, 422),
    ),
    ("GET", _C + "/integration.html"): Op(
        "The integration page as HTML",
        "hand-off",
        query=("example", "download"),
        errors=(404, 422),
        media="text/html",
    ),
    ("GET", _C + "/integration.json"): Op(
        "The integration page as JSON",
        "hand-off",
        "IntegrationPage",
        query=("example", "download"),
        errors=(404, 422),
    ),
    ("GET", "/api/event-types"): Op("List event types", "event types", "EventType", list_of=True),
    ("POST", "/api/event-types"): Op(
        "Create a custom event type", "event types", "EventType", 201, "EventTypeInput", errors=(409, 422)
    ),
    ("GET", "/api/event-types/{name}"): Op("Read an event type", "event types", "EventType", errors=(404,)),
    ("PUT", "/api/event-types/{name}"): Op(
        "Replace a custom event type",
        "event types",
        "EventType",
        body="EventTypeFields",
        errors=(404, 409, 422),
    ),
    ("DELETE", "/api/event-types/{name}"): Op(
        "Delete an unused custom event type", "event types", status=204, errors=(404, 409)
    ),
    ("POST", "/api/event-types/{name}/secret"): Op(
        "A new secret for a private event type (shown once; the old one stops working)",
        "event types",
        "EventType",
        errors=(404, 409),
    ),
    ("POST", "/api/event-types/{name}/purge-test-data"): Op(
        "Purge the test data reported as this event type", "event types", "Purge", errors=(404,)
    ),
    ("GET", "/api/members"): Op(
        "Members, newest first",
        "members",
        "Member",
        list_of=True,
        query=("identity", "kind", "attribute", "registered", "limit", "before"),
        errors=(422,),
    ),
    ("POST", "/api/members"): Op(
        "Register a member (reports REGISTERED_ACCOUNT)",
        "members",
        "Member",
        201,
        "MemberInput",
        errors=(400, 409, 422),
    ),
    ("GET", "/api/members/{member_id}"): Op("Read a member", "members", "Member", errors=(404, 422)),
    ("PATCH", "/api/members/{member_id}"): Op(
        "Set or remove a member's attributes", "members", "Member", body="MemberPatch", errors=(400, 404, 422)
    ),
    ("POST", "/api/members/{member_id}/identities"): Op(
        "Give a member one more identity (a profile events made under it is merged in)",
        "members",
        "Member",
        201,
        "IdentityInput",
        errors=(400, 404, 409, 422),
    ),
    ("POST", "/api/members/{member_id}/merge"): Op(
        "Merge another member into this one: events, ledger, balances, tokens and identities move",
        "members",
        "Member",
        body="MergeInput",
        errors=(400, 404, 409, 422),
    ),
    ("POST", "/api/members/{member_id}/erase"): Op(
        "Erase a member's personal data (the ledger's amounts stay, anonymous)",
        "members",
        "Member",
        errors=(404, 409, 422),
    ),
    ("GET", "/api/members/{member_id}/tokens"): Op(
        "A member's access tokens (never their value)",
        "members",
        "MemberToken",
        list_of=True,
        errors=(404, 422),
    ),
    ("POST", "/api/members/{member_id}/tokens"): Op(
        "Issue a member access token (shown once)",
        "members",
        "MemberToken",
        201,
        "MemberTokenInput",
        errors=(400, 404, 422),
    ),
    ("DELETE", "/api/members/{member_id}/tokens/{token_id}"): Op(
        "Revoke a member access token", "members", status=204, errors=(404, 422)
    ),
    ("POST", "/api/members/{member_id}/events"): Op(
        "Report a public or private event about a member by hand (admins; the console's form)",
        "members",
        "ReportedEventResult",
        201,
        "ManualEventInput",
        errors=(400, 403, 404, 409, 422),
    ),
    ("POST", "/api/parked/release"): Op(
        "Release the parked events whose member now exists (a sweep does it every minute)",
        "members",
        "ReleasedParked",
    ),
    ("POST", "/events"): Op(
        "Report an event: a member (public types, member token) or a system (private types, X-Event-Secret)",
        "members",
        "ReportedEventResult",
        201,
        "ReportedEventInput",
        errors=(400, 401, 403, 404, 409, 422),
    ),
    ("GET", "/api/requests"): Op(
        "The request log, newest first",
        "logs",
        "RequestLogEntry",
        list_of=True,
        query=(*_LOG, "request_status", "refused", "error", "test"),
        errors=(422,),
    ),
    ("GET", "/api/requests/{request_id}"): Op(
        "One request with its events and its kept headers and query", "logs", "RequestDetail", errors=(404,)
    ),
    ("GET", "/api/events"): Op(
        "The event log, newest first",
        "logs",
        "Event",
        list_of=True,
        query=(*_LOG, "event_status", "profile", "request", "test", "full"),
        errors=(422,),
    ),
    ("GET", "/api/events/{event_id}"): Op(
        "One event in full, with its trace", "logs", "Event", errors=(404, 422)
    ),
    ("GET", "/api/admin-log"): Op(
        "What admins did in bulk (purges, replays), newest first",
        "logs",
        "AdminLogEntry",
        list_of=True,
        query=("connector", "action", "limit", "before"),
        errors=(422,),
    ),
    ("GET", "/api/profiles"): Op(
        "Find a profile by identity", "profiles", "Profile", query=("kind", "value"), errors=(404, 422)
    ),
    ("GET", "/api/profiles/{profile_id}"): Op(
        "A profile with its balances", "profiles", "Profile", errors=(404, 422)
    ),
    ("GET", "/api/profiles/{profile_id}/events"): Op(
        "A profile's events, newest first",
        "profiles",
        "Event",
        list_of=True,
        query=("limit", "before", "test"),
        errors=(404, 422),
    ),
    ("GET", "/api/profiles/{profile_id}/ledger"): Op(
        "A profile's points entries and balance",
        "ledger",
        "Ledger",
        query=("limit", "before", "test"),
        errors=(404,),
    ),
    ("POST", "/api/profiles/{profile_id}/adjustments"): Op(
        "A manual adjustment", "ledger", "Adjustment", 201, "AdjustmentInput", errors=(404, 422)
    ),
    ("GET", "/api/ledger/check"): Op(
        "Prove every balance equals the sum of its entries", "ledger", "LedgerCheck"
    ),
    ("GET", "/api/profiles/search"): Op(
        "Members whose identity starts with a prefix, newest first",
        "profiles",
        "ProfileMatch",
        list_of=True,
        query=("prefix", "kind", "search_limit"),
        errors=(422,),
    ),
    ("GET", "/api/stats/overview"): Op(
        "Events per minute per connector, refusals, points per rule, failing connectors",
        "logs",
        "Overview",
        query=("hours", "test"),
        errors=(422,),
    ),
    ("GET", "/api/rules"): Op("List earning rules", "rules", "Rule", list_of=True, query=("rule_status",)),
    ("POST", "/api/rules"): Op("Create an earning rule", "rules", "Rule", 201, "RuleInput", errors=(422,)),
    ("POST", "/api/rules/preview"): Op(
        "Judge a rule, saved or not, on recent processed events of its source; nothing is written",
        "rules",
        "RulePreview",
        body="RulePreviewInput",
        errors=(400, 422),
    ),
    ("GET", "/api/rules/{rule_id}"): Op("The current version of a rule", "rules", "Rule", errors=(404,)),
    ("PATCH", "/api/rules/{rule_id}"): Op(
        "Change a rule (a new version); a stale version is 409 rule_changed",
        "rules",
        "Rule",
        body="RulePatch",
        errors=(404, 409, 422),
    ),
    ("GET", "/api/rules/{rule_id}/versions"): Op(
        "Every version of a rule", "rules", "RuleVersion", list_of=True, errors=(404,)
    ),
    ("POST", "/api/dry-run"): Op(
        "Try a mapping on a payload without a connector; nothing is written",
        "testing",
        "DryRunReport",
        body="DryRunInput",
        errors=(400, 413, 422),
    ),
    ("POST", _C + "/dry-run"): Op(
        "Simulate a request to the connector: every step, nothing written",
        "testing",
        "DryRunReport",
        body="ConnectorDryRunInput",
        errors=(400, 404, 413, 422),
    ),
    ("POST", _C + "/purge-test-data"): Op(
        "Remove the connector's test data", "testing", "Purge", errors=(404,)
    ),
    ("POST", _C + "/replay"): Op(
        "Preview, or apply, a replay of the connector's kept events",
        "replay",
        "Replay",
        body="ReplayInput",
        errors=(400, 404, 422),
    ),
    ("GET", _C + "/recent-requests"): Op(
        "The last raw events received, to pick samples from",
        "samples",
        "RecentRawEvent",
        list_of=True,
        query=("recent_limit",),
        errors=(404, 422),
    ),
    ("GET", _C + "/samples"): Op(
        "The connector's samples, oldest first", "samples", "Sample", list_of=True, errors=(404,)
    ),
    ("POST", _C + "/samples"): Op(
        "Save a sample with its expected output",
        "samples",
        "Sample",
        201,
        "SampleInput",
        errors=(404, 409, 422),
    ),
    ("DELETE", _C + "/samples/{sample_id}"): Op("Delete a sample", "samples", status=204, errors=(404, 422)),
    ("POST", _C + "/mapping-check"): Op(
        "What a new mapping would make of every sample; nothing is saved",
        "samples",
        "MappingCheck",
        body="MappingInput",
        errors=(400, 404, 422),
    ),
    ("GET", "/openapi.json"): Op("This OpenAPI document", "service", "OpenAPI"),
    ("GET", "/docs"): Op("The API reference, rendered from this document", "service", media="text/html"),
    ("GET", "/api/admin-keys"): Op("Admin keys (owners)", "admin", "AdminKey", list_of=True, errors=(403,)),
    ("POST", "/api/admin-keys"): Op(
        "Make an admin key with a role; its token is shown this once (owners)",
        "admin",
        "NewAdminKey",
        201,
        "AdminKeyInput",
        errors=(403, 422),
    ),
    ("DELETE", "/api/admin-keys/{key_id}"): Op(
        "Revoke an admin key (owners)", "admin", None, 204, errors=(403, 404)
    ),
    ("GET", "/api/audit"): Op(
        "Every admin write, newest first (owners)",
        "admin",
        "AuditEntry",
        list_of=True,
        query=("audit_key", "path", "since", "limit", "before"),
        errors=(403, 422),
    ),
    ("GET", "/api/badges"): Op("Every badge", "badges", "Badges"),
    ("POST", "/api/badges"): Op(
        "Define a badge (once per member, or repeatable)",
        "badges",
        "Badge",
        201,
        "BadgeInput",
        errors=(409, 422),
    ),
    ("GET", "/api/badges/{badge_id}"): Op("One badge", "badges", "Badge", errors=(404,)),
    ("PATCH", "/api/badges/{badge_id}"): Op(
        "Change a badge; archive it", "badges", "Badge", body="BadgePatch", errors=(404, 409, 422)
    ),
    ("GET", "/api/members/{member_id}/badges"): Op(
        "A member's badges, newest first", "badges", "MemberBadges", query=("test",), errors=(404, 409, 422)
    ),
    ("POST", "/api/members/{member_id}/badges"): Op(
        "Grant a badge by hand (EARNED_BADGE follows)",
        "badges",
        "MemberBadge",
        201,
        "BadgeGrantInput",
        errors=(404, 409, 422),
    ),
    ("GET", "/api/rewards"): Op(
        "The rewards catalog", "rewards", "Rewards", query=("reward_status",), errors=(422,)
    ),
    ("POST", "/api/rewards"): Op(
        "Add a reward to the catalog", "rewards", "Reward", 201, "RewardInput", errors=(409, 422)
    ),
    ("GET", "/api/rewards/{reward_id}"): Op("One reward", "rewards", "Reward", errors=(404,)),
    ("PATCH", "/api/rewards/{reward_id}"): Op(
        "Change a reward (price, stock, limit, window, status)",
        "rewards",
        "Reward",
        body="RewardPatch",
        errors=(404, 409, 422),
    ),
    ("GET", "/api/members/{member_id}/rewards"): Op(
        "A member's rewards, newest first",
        "rewards",
        "IssuedRewards",
        query=("test", "issued_status"),
        errors=(404, 409, 422),
    ),
    ("POST", "/api/members/{member_id}/reward-purchases"): Op(
        "Spend a member's points on a reward: 409 with the reason when they may not have it",
        "rewards",
        "IssuedReward",
        201,
        "PurchaseInput",
        errors=(404, 409, 422),
    ),
    ("GET", "/api/issued-rewards/{issued_id}"): Op(
        "One issued reward", "rewards", "IssuedReward", errors=(404, 422)
    ),
    ("POST", "/api/issued-rewards/{issued_id}/cancel"): Op(
        "Cancel an issued reward: its points and its unit of stock come back",
        "rewards",
        "IssuedReward",
        body="IssuedRewardNote",
        errors=(404, 409, 422),
    ),
    ("POST", "/api/issued-rewards/{issued_id}/redeem"): Op(
        "Mark an issued reward used",
        "rewards",
        "IssuedReward",
        body="IssuedRewardNote",
        errors=(404, 409, 422),
    ),
    ("GET", "/api/expiry-policy"): Op("When earned points expire", "expiry", "ExpiryPolicy"),
    ("PUT", "/api/expiry-policy"): Op(
        "Set the expiry policy (it applies to points already earned too)",
        "expiry",
        "ExpiryPolicy",
        body="ExpiryPolicyInput",
        errors=(422,),
    ),
    ("POST", "/api/expiry/run"): Op(
        "Run the expiry pass now (the service runs it every INBOUND_EXPIRY_INTERVAL_SECONDS)",
        "expiry",
        "ExpiryRun",
    ),
    ("GET", "/api/expiry/preview"): Op(
        "What the expiry pass would expire if it ran now; writes nothing", "expiry", "ExpiryRun"
    ),
    ("GET", "/api/members/{member_id}/expiring"): Op(
        "What a member's points will do: what expires when",
        "expiry",
        "MemberExpiring",
        query=("test",),
        errors=(404, 422),
    ),
    ("GET", "/api/webhook-endpoints"): Op(
        "Outgoing webhook endpoints, with their messages per state", "webhooks", "WebhookEndpoints"
    ),
    ("POST", "/api/webhook-endpoints"): Op(
        "Subscribe a URL to kinds of messages; its signing secret is shown now (and at each rotation)",
        "webhooks",
        "NewWebhookEndpoint",
        201,
        "WebhookEndpointInput",
        errors=(422,),
    ),
    ("GET", _W): Op("One webhook endpoint and its health", "webhooks", "WebhookEndpoint", errors=(404,)),
    ("PATCH", _W): Op(
        "Change an endpoint's URL, kinds, description or data; disable or enable it",
        "webhooks",
        "WebhookEndpoint",
        body="WebhookEndpointPatch",
        errors=(404, 422),
    ),
    ("DELETE", _W): Op("Remove an endpoint and its messages", "webhooks", None, 204, errors=(404,)),
    ("POST", _W + "/rotate-secret"): Op(
        "A new signing secret; the previous one keeps signing beside it for keepPreviousSeconds",
        "webhooks",
        "NewWebhookEndpoint",
        body="SecretRotation",
        errors=(404, 422),
    ),
    ("POST", _W + "/test"): Op(
        "Send a webhook.test message to this endpoint", "webhooks", "WebhookMessage", 202, errors=(404,)
    ),
    ("GET", _W + "/messages"): Op(
        "The endpoint's messages, newest first",
        "webhooks",
        "WebhookMessage",
        list_of=True,
        query=("message_status", "limit", "before"),
        errors=(404, 422),
    ),
    ("GET", "/api/webhook-messages/{message_id}"): Op(
        "One message with every delivery attempt", "webhooks", "WebhookMessageDetail", errors=(404, 422)
    ),
    ("POST", "/api/webhook-messages/{message_id}/redeliver"): Op(
        "Send a message again now (the same webhook-id and body), with a fresh retry schedule",
        "webhooks",
        "WebhookMessage",
        202,
        errors=(404, 422),
    ),
    ("GET", "/metrics"): Op(
        "Prometheus metrics (the admin token as a bearer credential)",
        "service",
        media="text/plain",
        errors=(401,),
    ),
    ("POST", _C + "/mapping-preview"): Op(
        "Try an unsaved mapping on a connector: its event type, rules and samples; nothing is written",
        "testing",
        "DryRunReport",
        body="MappingPreviewInput",
        errors=(400, 404, 413, 422),
    ),
    ("POST", _C + "/share-links"): Op(
        "A signed, expiring link to the integration page, opened without the admin token",
        "hand-off",
        "ShareLink",
        201,
        "ShareLinkInput",
        errors=(400, 404, 422),
    ),
    ("POST", _C + "/share-links/rotate"): Op(
        "Revoke every shared link to this connector's integration page",
        "hand-off",
        "ShareLinkRotation",
        errors=(404,),
    ),
    ("GET", "/share/{token}"): Op(
        "A shared integration page (public: the signed link is the credential)",
        "hand-off",
        errors=(404, 410),
        media="text/html",
        error_media="text/html",
    ),
}
