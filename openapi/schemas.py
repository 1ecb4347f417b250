"""The main JSON shapes of the API, as OpenAPI 3.1 (JSON Schema 2020-12) components.

They describe what docs/api.md shows; fields are listed, not every constraint (the service's
own validation messages name the field and value).
"""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], required: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def page_of(name: str) -> dict[str, Any]:
    return _obj(
        {"items": {"type": "array", "items": ref(name)}, "next": {"type": ["string", "integer", "null"]}}
    )


_S = {"type": "string"}
_I = {"type": "integer"}
_B = {"type": "boolean"}
_T = {"type": "string", "format": "date-time"}
_ANY: dict[str, Any] = {}
_NAME_VALUE = _obj({"name": _S, "value": _ANY}, ("name", "value"))

SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        {
            "error": _obj(
                {"code": _S, "message": _S, "details": {"description": "extra facts, such as a position"}},
                ("code", "message"),
            )
        },
        ("error",),
        description="Every error: a stable code and a message naming the field and the value.",
    ),
    "Health": _obj({"status": {"const": "ok"}}, ("status",)),
    "Credential": _obj(
        {"id": _S, "test": _B, "createdAt": _T, "revokedAt": {"type": ["string", "null"]}, "value": _S},
        description="`value` is shown in full once, when created; masked afterwards.",
    ),
    "Connector": _obj(
        {
            "id": _S,
            "name": _S,
            "url": _S,
            "auth": ref("AuthSettings"),
            "mapping": _S,
            "mappingVersion": _I,
            "eventType": _S,
            "mode": {"enum": ["live", "test"]},
            "status": {"enum": ["active", "disabled"]},
            "createProfiles": _B,
            "allowedOrigins": {"type": "array", "items": _S},
            "allowGet": _B,
            "createdAt": _T,
            "updatedAt": _T,
            "credentials": {"type": "array", "items": ref("Credential")},
        }
    ),
    "MappingVersion": _obj({"version": _I, "mapping": _S, "createdAt": _T}),
    "RawEvent": {
        "description": "One event as the sender sends it (an object; its fields are the mapping's to read)",
        "type": "object",
    },
    "StoredRawEvent": {
        "description": "A raw event as it was kept: the JSON value received (usually an object)",
    },
    "IngestBody": {
        "description": "One raw event, or a batch: a non-empty array of them (see docs/api.md)",
        "oneOf": [ref("RawEvent"), {"type": "array", "items": ref("RawEvent"), "minItems": 1}],
    },
    "MappedEvent": _obj(
        {
            "clientEventId": {"type": ["string", "null"]},
            "profile": _obj({"kind": _S, "value": {"type": ["string", "null"]}}),
            "payload": _obj(
                {
                    "timestamp": _T,
                    "tags": {"type": "array", "items": _NAME_VALUE},
                    "counters": {"type": "array", "items": _NAME_VALUE},
                }
            ),
        },
        description="The canonical event a mapping returns (docs/mapping.md).",
    ),
    "IngestResult": _obj(
        {
            "index": _I,
            "subIndex": _I,
            "status": {
                "enum": ["processed", "duplicate", "ignored", "parked", "skipped", "rejected", "failed"]
            },
            "eventId": {"type": ["integer", "null"]},
            "clientEventId": {"type": ["string", "null"]},
            "profile": {"type": ["object", "null"]},
            "reason": {"type": ["string", "null"]},
            "awards": {"type": "array", "items": _obj({"ruleId": _S, "name": _S, "points": _I})},
            "balance": {"type": ["integer", "null"]},
        },
        additionalProperties=True,
    ),
    "IngestResponse": _obj(
        {
            "requestId": _S,
            "test": _B,
            "counts": {"type": "object", "additionalProperties": _I},
            "results": {"type": "array", "items": ref("IngestResult")},
        },
        ("requestId", "results"),
    ),
    "EventType": _obj(
        {
            "name": _S,
            "description": _S,
            "schema": {"type": "object"},
            "builtin": _B,
            "reporting": {"enum": ["connectors", "public", "private", "intrinsic"]},
            "occurredAt": _obj(
                {
                    "maxPastSeconds": {"type": ["integer", "null"]},
                    "maxFutureSeconds": {"type": ["integer", "null"]},
                }
            ),
            "enhancers": {"type": "array", "items": _obj({"kind": _S})},
            "secret": {"type": "string", "description": "a private type's secret: shown once"},
        }
    ),
    "Member": _obj(
        {
            "id": _I,
            "identities": {"type": "array", "items": _obj({"kind": _S, "value": _S})},
            "attributes": {"type": "object"},
            "registeredAt": {"type": ["string", "null"]},
            "createdAt": _T,
            "balance": _I,
            "lifetimePoints": _I,
        },
        additionalProperties=True,
    ),
    "MemberToken": _obj(
        {
            "id": _S,
            "memberId": _I,
            "createdAt": _T,
            "expiresAt": _T,
            "revokedAt": {"type": ["string", "null"]},
            "status": {"enum": ["active", "expired", "revoked"]},
            "token": {"type": "string", "description": "shown once, when issued"},
        }
    ),
    "ReleasedParked": _obj({"released": _I, "results": {"type": "array", "items": {"type": "object"}}}),
    "ReportedEventResult": _obj(
        {"requestId": _S, "eventId": _I, "status": {"const": "processed"}, "awards": {"type": "array"}},
        additionalProperties=True,
    ),
    "RequestLogEntry": _obj(
        {
            "id": _S,
            "connectorId": _S,
            "receivedAt": _T,
            "method": _S,
            "statusCode": _I,
            "auth": _obj(
                {
                    "outcome": {"enum": ["accepted", "refused", "not_checked"]},
                    "reason": {"type": ["string", "null"]},
                    "credentialId": {"type": ["string", "null"]},
                },
                ("outcome", "reason", "credentialId"),
            ),
            "counts": {"type": ["object", "null"]},
            "durationMs": {"type": ["number", "null"]},
        },
        additionalProperties=True,
    ),
    "RequestDetail": {
        "allOf": [
            ref("RequestLogEntry"),
            _obj(
                {
                    "headers": {
                        "type": ["object", "null"],
                        "additionalProperties": _S,
                        "description": "the headers the mapping saw as $headers, credentials left out",
                    },
                    "query": {
                        "type": ["object", "null"],
                        "additionalProperties": _S,
                        "description": "the query string the mapping saw as $query, credentials left out",
                    },
                    "events": {"type": "array", "items": {"type": "object"}},
                }
            ),
        ]
    },
    "Event": _obj(
        {
            "id": _I,
            "requestId": _S,
            "connectorId": _S,
            "clientEventId": {"type": ["string", "null"]},
            "status": _S,
            "reason": {"type": ["string", "null"]},
            "profileId": {"type": ["integer", "null"]},
            "occurredAt": _T,
            "receivedAt": _T,
            "raw": ref("StoredRawEvent"),
            "mapped": {"anyOf": [ref("MappedEvent"), {"type": "null"}]},
            "trace": {"type": "array"},
        },
        additionalProperties=True,
    ),
    "AdminLogEntry": _obj(
        {
            "id": _I,
            "action": _S,
            "connectorId": {"type": ["string", "null"]},
            "details": {"type": "object"},
            "createdAt": _T,
        },
        description="One bulk admin action: a purge (what it removed) or a replay (what it changed).",
    ),
    "Profile": _obj(
        {"id": _I, "kind": _S, "value": _S, "balance": _I, "lifetimePoints": _I}, additionalProperties=True
    ),
    "LedgerEntry": _obj(
        {"id": _I, "points": _I, "kind": {"enum": ["award", "reversal", "adjustment"]}, "occurredAt": _T},
        additionalProperties=True,
    ),
    "Ledger": _obj(
        {
            "items": {"type": "array", "items": ref("LedgerEntry")},
            "next": _ANY,
            "balance": _I,
            "lifetimePoints": _I,
        }
    ),
    "Adjustment": _obj({"entryId": _I, "points": _I, "balance": _I, "lifetimePoints": _I}),
    "LedgerCheck": _obj({"ok": _B, "mismatches": {"type": "array", "items": {"type": "object"}}}),
    "ProfileMatch": _obj(
        {
            "id": {"type": "integer"},
            "kind": _S,
            "value": _S,
            "test": _B,
            "createdAt": _S,
            "balance": {"type": "integer"},
            "lifetimePoints": {"type": "integer"},
        }
    ),
    "RulePreview": _obj(
        {
            "events": {"type": "integer"},
            "matched": {"type": "integer"},
            "points": {"type": "integer"},
            "members": {"type": "integer"},
            "limitsCounted": _B,
            "items": {"type": "array", "items": {"type": "object"}},
        }
    ),
    "AdminKey": _obj(
        {
            "id": _S,
            "name": _S,
            "role": {"enum": ["owner", "developer", "marketer", "viewer"]},
            "prefix": _S,
            "createdAt": _T,
            "revokedAt": {"type": ["string", "null"]},
        }
    ),
    "NewAdminKey": {"allOf": [ref("AdminKey"), _obj({"token": _S}, ("token",))]},
    "AuditEntry": _obj(
        {
            "id": _I,
            "at": _T,
            "key": _obj({"id": {"type": ["string", "null"]}, "name": _S, "role": _S}),
            "method": _S,
            "path": _S,
            "status": _I,
            "request": _ANY,
            "before": _ANY,
            "after": _ANY,
        }
    ),
    "Badge": _obj(
        {
            "id": _S,
            "name": _S,
            "description": {"type": ["string", "null"]},
            "imageUrl": {"type": ["string", "null"]},
            "repeatable": _B,
            "status": {"enum": ["active", "archived"]},
            "createdAt": _T,
            "updatedAt": _T,
            "holders": {"type": "integer", "description": "in the list: live members who have it"},
            "granted": {"type": "integer", "description": "in the list: its live grants, repeats included"},
        }
    ),
    "Badges": _obj({"items": {"type": "array", "items": ref("Badge")}}),
    "MemberBadge": _obj(
        {
            "id": _I,
            "badge": _S,
            "name": {"type": ["string", "null"]},
            "imageUrl": {"type": ["string", "null"]},
            "grantedAt": _T,
            "source": {"enum": ["rule", "manual"]},
            "ruleId": {"type": ["string", "null"]},
            "ruleVersion": {"type": ["integer", "null"]},
            "eventId": {"type": ["integer", "null"]},
            "note": {"type": ["string", "null"]},
            "test": _B,
        }
    ),
    "MemberBadges": _obj({"items": {"type": "array", "items": ref("MemberBadge")}}),
    "Reward": _obj(
        {
            "id": _S,
            "name": _S,
            "description": {"type": ["string", "null"]},
            "imageUrl": {"type": ["string", "null"]},
            "cost": _I,
            "stock": {"type": ["integer", "null"]},
            "issued": _I,
            "limit": {"type": ["object", "null"]},
            "availableFrom": {"type": ["string", "null"]},
            "availableUntil": {"type": ["string", "null"]},
            "validDays": {"type": ["integer", "null"]},
            "status": {"enum": ["active", "paused", "archived"]},
            "createdAt": _T,
            "updatedAt": _T,
        }
    ),
    "Rewards": _obj({"items": {"type": "array", "items": ref("Reward")}}),
    "IssuedReward": _obj(
        {
            "id": _I,
            "reward": _S,
            "name": {"type": ["string", "null"]},
            "code": _S,
            "status": {"enum": ["issued", "redeemed", "expired", "cancelled"]},
            "source": {"enum": ["purchase", "rule"]},
            "cost": _I,
            "spendEntryId": {"type": ["integer", "null"]},
            "refundEntryId": {"type": ["integer", "null"]},
            "ruleId": {"type": ["string", "null"]},
            "ruleVersion": {"type": ["integer", "null"]},
            "eventId": {"type": ["integer", "null"]},
            "issuedAt": _T,
            "expiresAt": {"type": ["string", "null"]},
            "history": {"type": "array", "items": {"type": "object"}},
            "test": _B,
            "memberId": _I,
            "balance": {"type": "integer", "description": "the member's balance after (purchase, cancel)"},
            "followedBy": {"type": "object", "description": "the PURCHASED_REWARD event (purchase)"},
        }
    ),
    "IssuedRewards": _obj({"items": {"type": "array", "items": ref("IssuedReward")}}),
    "ExpiryPolicy": _obj({"policy": {"type": "object"}, "description": _S}),
    "ExpiryRun": _obj({"members": _I, "entries": _I, "points": _I, "rewards": _I}),
    "MemberExpiring": _obj(
        {
            "memberId": _I,
            "test": _B,
            "balance": _I,
            "policy": ref("ExpiryPolicy"),
            "expiring": {"type": "array", "items": _obj({"at": _T, "points": _I})},
            "dueNow": {"type": "array", "items": _obj({"at": _T, "points": _I})},
            "neverExpire": _I,
            "debt": _I,
        }
    ),
    "WebhookEndpoint": _obj(
        {
            "id": _S,
            "url": _S,
            "description": {"type": ["string", "null"]},
            "kinds": {"type": "array", "items": _S},
            "test": _B,
            "status": {"enum": ["enabled", "disabled"]},
            "disabledReason": {"type": ["string", "null"]},
            "failingSince": {"type": ["string", "null"]},
            "previousSecretValidUntil": {"type": ["string", "null"]},
            "createdAt": _T,
            "updatedAt": _T,
            "messages": _obj({"pending": _I, "delivered": _I, "failed": _I}),
        }
    ),
    "WebhookEndpoints": _obj(
        {
            "items": {"type": "array", "items": ref("WebhookEndpoint")},
            "kinds": {"type": "object", "description": "every kind, and when it is sent"},
        }
    ),
    "NewWebhookEndpoint": {
        "allOf": [
            ref("WebhookEndpoint"),
            _obj({"secret": {"type": "string", "pattern": "^whsec_"}}, ("secret",)),
        ]
    },
    "SecretRotation": _obj(
        {"keepPreviousSeconds": {"type": "integer", "minimum": 0, "maximum": 2592000, "default": 86400}},
        additionalProperties=False,
    ),
    "WebhookMessage": _obj(
        {
            "id": _I,
            "messageId": _S,
            "endpointId": _S,
            "kind": _S,
            "status": {"enum": ["pending", "delivered", "failed"]},
            "attempts": _I,
            "sending": {"type": "boolean", "description": "a delivery worker is sending it right now"},
            "nextAttemptAt": {"type": ["string", "null"]},
            "createdAt": _T,
            "deliveredAt": {"type": ["string", "null"]},
            "lastStatusCode": {"type": ["integer", "null"]},
            "lastError": {"type": ["string", "null"]},
            "test": _B,
            "payload": _obj({"type": _S, "timestamp": _T, "data": {"type": "object"}}),
        }
    ),
    "WebhookMessageDetail": {
        "allOf": [
            ref("WebhookMessage"),
            _obj(
                {
                    "attemptLog": {
                        "type": "array",
                        "items": _obj(
                            {
                                "id": _I,
                                "at": _T,
                                "statusCode": {"type": ["integer", "null"]},
                                "latencyMs": {"type": "number"},
                                "responseExcerpt": {"type": ["string", "null"]},
                                "error": {"type": ["string", "null"]},
                            }
                        ),
                    }
                }
            ),
        ]
    },
    "ShareLink": _obj({"url": _S, "expiresAt": _S, "connectorId": _S}),
    "ShareLinkRotation": _obj({"connectorId": _S, "revoked": _B, "epoch": {"type": "integer"}}),
    "Overview": _obj(
        {
            "since": _S,
            "until": _S,
            "eventsPerMinute": {"type": "array", "items": {"type": "object"}},
            "eventTotals": {"type": "object"},
            "refusedPerMinute": {"type": "array", "items": {"type": "object"}},
            "refusedByCode": {"type": "object"},
            "pointsPerRule": {"type": "array", "items": {"type": "object"}},
            "connectorsWithFailures": {"type": "array", "items": {"type": "object"}},
            "unknownConnectorRequests": {"type": "integer"},
            "rateLimitedRequests": _obj({"connector": {"type": "integer"}, "address": {"type": "integer"}}),
        }
    ),
    "IntegrationPage": _obj(
        {
            "connector": {"type": "object"},
            "request": {"type": "object"},
            "auth": _obj(
                {"method": _S, "settings": ref("AuthSettings"), "summary": _S, "steps": {"type": "array"}}
            ),
            "snippets": _obj({"curl": _S, "python": _S, "javascript": _S}),
            "mapping": _obj({"expression": _S, "version": _I}),
            "example": _obj(
                {
                    "source": {"enum": ["latest_event", "saved_sample", "sample"]},
                    "rawEvent": ref("StoredRawEvent"),
                    "warnings": {"type": "array", "items": _S},
                    "redacted": {"type": "array", "items": _S},
                }
            ),
            "expectedPayload": {
                "type": "object",
                "description": "the fields the mapping reads and the payload's shape (types, no values)",
            },
            "testing": {
                "type": "object",
                "description": "how to try the integration with the test credential, and purge",
            },
            "mappedEventContract": {"type": "object"},
        },
        description="Everything a sender's developer needs; secrets are placeholders.",
    ),
    "OpenAPI": {"type": "object", "description": "This document."},
    "DryRunReport": _obj(
        {
            "dryRun": {"const": True},
            "auth": {"type": "object"},
            "parse": {"type": "object"},
            "counts": {"type": "object"},
            "results": {"type": "array", "items": {"type": "object"}},
        },
        additionalProperties=True,
        description="Every step of the pipeline for the request; nothing is stored (docs/test-mode.md).",
    ),
    "Purge": _obj({"purged": _obj({"events": _I, "pointsEntries": _I, "profiles": _I, "requests": _I})}),
    "Replay": _obj(
        {
            "applied": _B,
            "events": _I,
            "counts": {"type": "object"},
            "pointsDelta": _I,
            "more": _B,
            "nextAfter": {"type": "integer", "description": "when more: send as after to continue"},
            "nextSince": _T,
        },
        additionalProperties=True,
        description="What a replay did, or would do (docs/replay-and-samples.md).",
    ),
    "RecentRawEvent": _obj(
        {"eventId": _I, "requestId": _S, "index": _I, "status": _S, "test": _B, "receivedAt": _T, "raw": _ANY}
    ),
    "Sample": _obj(
        {
            "id": _I,
            "connectorId": _S,
            "name": _S,
            "body": ref("StoredRawEvent"),
            "headers": {"type": "object"},
            "query": {"type": "object"},
            "expected": _ANY,
            "mappingVersion": _I,
            "createdAt": _T,
        }
    ),
    "MappingCheck": _obj({"changed": _I, "samples": {"type": "array", "items": {"type": "object"}}}),
}
