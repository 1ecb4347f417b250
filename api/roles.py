"""Who may do what in the admin API: four roles, decided by method and path.

- viewer: reads everything (GET), and tries things that write nothing (dry runs, previews).
- marketer: a viewer who also writes earning rules, badges, rewards, members and adjusts members'
  points (and buys, cancels and redeems their rewards).
- developer: a viewer who also writes connectors, credentials, mappings, samples, event types,
  members, replays, test-data purges and outgoing webhooks.
- owner: everything, including admin keys and the audit log.
The token of INBOUND_ADMIN_TOKEN (.inbound/admin-token) is an owner's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROLES = ("owner", "developer", "marketer", "viewer")

# POSTs that write nothing: anyone who may read may try them.
_TRIES = re.compile(
    r"^/api/(dry-run|rules/preview|connectors/[^/]+/(dry-run|mapping-preview|mapping-check))$"
)
_OWNER_ONLY = re.compile(r"^/api/(admin-keys|audit)(/|$)")
_MARKETER = re.compile(
    r"^/api/(rules(/|$)|profiles/[^/]+/adjustments$|members(/|$)|badges(/|$)|rewards(/|$)|issued-rewards/"
    r"|expiry-policy$|expiry/run$)"
)
_DEVELOPER = re.compile(
    r"^/api/(connectors|event-types|members|parked|webhook-endpoints|webhook-messages)(/|$)"
)


@dataclass(frozen=True)
class Identity:
    key_id: str | None  # None: the bootstrap token (INBOUND_ADMIN_TOKEN)
    name: str
    role: str


def may(role: str, method: str, path: str) -> bool:
    if role == "owner":
        return True
    if _OWNER_ONLY.match(path):
        return False
    if method in ("GET", "HEAD", "OPTIONS") or (method == "POST" and _TRIES.match(path)):
        return True
    if role == "marketer":
        return bool(_MARKETER.match(path))
    if role == "developer":
        return bool(_DEVELOPER.match(path))
    return False


def is_write(method: str, path: str) -> bool:
    """What the audit log records: every request that may change something."""
    return method in ("POST", "PUT", "PATCH", "DELETE") and not _TRIES.match(path)


def refusal(identity: Identity, method: str, path: str) -> str:
    return (
        f"admin key {identity.name!r} has the role {identity.role}, which may not {method} {path}; "
        "ask an owner for a key with the right role (see docs/api.md#admin-keys)"
    )
