"""The components /openapi.json takes from the admin API's pydantic models.

Inputs are described as they are validated, answers as they are written. Components not yet
declared as models stay hand-written in openapi/schemas.py; a name may live in one place only.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from api.models import (
    access,
    badges,
    connectors,
    event_types,
    members,
    points,
    reports,
    rewards,
    rules,
    trials,
    webhooks,
)

MODELS: tuple[type[BaseModel], ...] = (
    connectors.AuthSettings,
    connectors.ConnectorInput,
    connectors.ConnectorPatch,
    connectors.CredentialInput,
    badges.BadgeInput,
    badges.BadgePatch,
    badges.BadgeGrantInput,
    rewards.RewardInput,
    rewards.RewardPatch,
    rewards.PurchaseInput,
    rewards.IssuedRewardNote,
    webhooks.WebhookEndpointInput,
    webhooks.WebhookEndpointPatch,
    event_types.EventTypeInput,
    event_types.EventTypeFields,
    access.AdminKeyInput,
    access.ShareLinkInput,
    members.IdentityInput,
    members.MemberInput,
    members.MemberPatch,
    members.MergeInput,
    members.MemberTokenInput,
    points.AdjustmentInput,
    points.ExpiryPolicyInput,
    trials.DryRunInput,
    trials.ConnectorDryRunInput,
    trials.MappingPreviewInput,
    trials.SampleInput,
    trials.MappingInput,
    trials.ReplayInput,
    reports.ManualEventInput,
    reports.ReportedEventInput,
    rules.RuleInput,
    rules.RulePatch,
    rules.RulePreviewInput,
    rules.Rule,
    rules.RuleVersion,
)
# Declared as written (the rest as read: an answer's numbers and times read back the same).
ANSWERS: tuple[type[BaseModel], ...] = (connectors.AuthSettings,)


@cache
def model_schemas() -> dict[str, Any]:
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "serialization" if m in ANSWERS else "validation") for m in MODELS
    ]
    _, document = models_json_schema(pairs, by_alias=True, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = document.get("$defs", {})
    for schema in schemas.values():
        schema.pop("title", None)  # the component's name says it
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
            if "default" in prop and prop["default"] is None:
                del prop["default"]  # "left out", not a value to send
    return schemas
