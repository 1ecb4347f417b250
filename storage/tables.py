"""The tables. SQLModel classes for admin CRUD; their `__table__` serves Core statements on the hot path.

Exactly-once rests on constraints, not on in-memory checks:
- `client_event_ids` (connector_id, test, client_event_id) primary key: one first event per
  clientEventId, kept apart for test and live data so a test request never blocks a live one;
- `points_entries` (event_id, rule_id, kind) unique: an event never earns twice from one rule (and
  a refund event can both reverse a rule's earlier award and earn from that rule itself).

Tables with an integer surrogate id never reuse one (`_NEVER_REUSE_IDS`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, SQLModel

from storage.types import BigId, Json, UTCDateTime

# Integer ids are handed out in answers, traces and reasons, so a deleted row's id (a purge of
# test data) must never name a new row. PostgreSQL identities never go back; SQLite reuses the
# highest ids of deleted rows unless the table is AUTOINCREMENT (migration 0006).
_NEVER_REUSE_IDS: dict[str, Any] = {"sqlite_autoincrement": True}


def _ts(**kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kw))


def _json(nullable: bool = False) -> Any:
    return Field(sa_column=Column(Json, nullable=nullable))


def _partial_index(name: str, *columns: str, where: str) -> Index:
    """An index of only the rows `where` holds for, on both databases."""
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))


class Connector(SQLModel, table=True):
    __tablename__ = "connectors"
    id: str = Field(sa_column=Column(String(64), primary_key=True))
    name: str
    auth: dict[str, Any] = _json()
    mapping: str = Field(sa_column=Column(Text, nullable=False))
    mapping_version: int = 1
    event_type: str
    mode: str = "live"  # live | test
    status: str = "active"  # active | disabled
    create_profiles: bool = True
    allowed_origins: list[str] = _json()
    allow_get: bool = False
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class Credential(SQLModel, table=True):
    __tablename__ = "credentials"
    id: str = Field(sa_column=Column(String(64), primary_key=True))
    connector_id: str = Field(
        sa_column=Column(String(64), ForeignKey("connectors.id", ondelete="CASCADE"), index=True)
    )
    value: str
    test: bool = False
    created_at: datetime = _ts(nullable=False)
    revoked_at: datetime | None = _ts(nullable=True)


class MappingVersion(SQLModel, table=True):
    __tablename__ = "mapping_versions"
    connector_id: str = Field(
        sa_column=Column(String(64), ForeignKey("connectors.id", ondelete="CASCADE"), primary_key=True)
    )
    version: int = Field(primary_key=True)
    expression: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts(nullable=False)


class EventType(SQLModel, table=True):
    __tablename__ = "event_types"
    name: str = Field(sa_column=Column(String(128), primary_key=True))
    description: str = ""
    json_schema: dict[str, Any] = _json()
    builtin: bool = False
    created_at: datetime = _ts(nullable=False)
    # Who may report it: connectors (only) | public (members) | private (systems) | intrinsic (Inbound)
    reporting: str = Field(
        default="connectors",
        sa_column=Column(String(16), nullable=False, server_default="connectors", default="connectors"),
    )
    secret: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # sealed
    # How far from when it is received an event may be dated; None: the program's defaults.
    max_past_seconds: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    max_future_seconds: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    enhancers: list[Any] | None = _json(nullable=True)


class Profile(SQLModel, table=True):
    __tablename__ = "profiles"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_profiles_identity"), _NEVER_REUSE_IDS)
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    kind: str = Field(max_length=64)
    value: str = Field(max_length=512)
    test: bool = False  # created by a test event; purge may remove it
    created_by_connector: str | None = None
    created_at: datetime = _ts(nullable=False)
    attributes: dict[str, Any] | None = _json(nullable=True)  # a member's (tier, signup date, …)
    registered_at: datetime | None = _ts(nullable=True)  # registered through the members API
    # Set: this identity belongs to that member (a second identity, or a merged member); events
    # sent under it credit that member, and this row holds no points of its own.
    merged_into: int | None = Field(default=None, sa_column=Column(BigId, nullable=True, index=True))


class Balance(SQLModel, table=True):
    """One row per profile and ledger (live or test); always equal to the sum of its entries."""

    __tablename__ = "balances"
    profile_id: int = Field(
        sa_column=Column(BigId, ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True)
    )
    test: bool = Field(default=False, primary_key=True)
    # 64-bit on both backends: a busy member's lifetime points must never overflow.
    balance: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    # The sum of the positive entries.
    lifetime: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    updated_at: datetime = _ts(nullable=False)


class RequestLog(SQLModel, table=True):
    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_connector_time", "connector_id", "received_at"),
        Index("ix_requests_time", "received_at"),  # the retention pass
    )
    id: str = Field(sa_column=Column(String(40), primary_key=True))
    connector_id: str = Field(max_length=64)
    received_at: datetime = _ts(nullable=False)
    method: str
    status_code: int
    auth_outcome: str  # accepted | refused | not_checked
    auth_reason: str | None = None
    credential_id: str | None = None
    test: bool = False
    content_type: str | None = None
    body_bytes: int = 0
    error_code: str | None = None
    error_message: str | None = None
    counts: dict[str, int] = _json()
    duration_ms: float = 0.0
    # What the mapping saw as $headers and $query, minus credentials: replay and samples need it.
    headers: dict[str, str] | None = _json(nullable=True)
    query: dict[str, str] | None = _json(nullable=True)
    # The SDK path after the connector's URL ("/v1/batch"), the mapping's $path; null for none.
    path: str | None = Field(default=None, max_length=128)


class Event(SQLModel, table=True):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_connector_time", "connector_id", "received_at"),
        Index("ix_events_profile", "profile_id", "received_at"),
        # Mostly-empty columns, indexed only where they hold a value (migration 0025): every read
        # through them asks for one.
        _partial_index(
            "ix_events_dedupe", "connector_id", "dedupe_key", "received_at", where="dedupe_key IS NOT NULL"
        ),
        _partial_index("ix_events_replay_of", "replay_of", where="replay_of IS NOT NULL"),
        _partial_index(
            "ix_events_reverses_event_id", "reverses_event_id", where="reverses_event_id IS NOT NULL"
        ),
        # Parked events (waiting for their member to register), found by the sweep.
        _partial_index("ix_events_parked", "id", where="status = 'parked'"),
        # The retention pass: events that still hold their raw payload, by age.
        _partial_index("ix_events_raw_time", "received_at", where="raw IS NOT NULL"),
        _NEVER_REUSE_IDS,
    )
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    request_id: str = Field(max_length=40, index=True)
    connector_id: str = Field(max_length=64)
    index: int  # position of the raw event in the request
    sub_index: int = 0  # position among the mapped events of one raw event
    client_event_id: str | None = Field(default=None, max_length=256)
    dedupe_key: str | None = Field(default=None, max_length=64)
    event_type: str
    status: str  # processed | duplicate | ignored | rejected | failed
    reason: str | None = None
    duplicate_of: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    profile_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    raw: Any = _json(nullable=True)
    mapped: Any = _json(nullable=True)
    trace: list[Any] = _json()
    mapping_version: int = 1
    test: bool = False
    replay_of: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    # A refund: the event whose awards it reversed (its mapped `reverses.fraction` says how much).
    reverses_event_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    occurred_at: datetime = _ts(nullable=False)
    received_at: datetime = _ts(nullable=False)


class ClientEventId(SQLModel, table=True):
    """The first event seen per (connector, test or live, clientEventId): the idempotency key."""

    __tablename__ = "client_event_ids"
    connector_id: str = Field(sa_column=Column(String(64), primary_key=True))
    test: bool = Field(default=False, sa_column=Column(Boolean, primary_key=True, server_default=false()))
    client_event_id: str = Field(sa_column=Column(String(256), primary_key=True))
    event_id: int = Field(sa_column=Column(BigId, nullable=False))


class EarningRule(SQLModel, table=True):
    __tablename__ = "earning_rules"
    id: str = Field(sa_column=Column(String(64), primary_key=True))
    version: int = 1
    name: str
    status: str
    priority: int = 0
    definition: dict[str, Any] = _json()
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class RuleVersion(SQLModel, table=True):
    __tablename__ = "rule_versions"
    rule_id: str = Field(sa_column=Column(String(64), ForeignKey("earning_rules.id"), primary_key=True))
    version: int = Field(primary_key=True)
    definition: dict[str, Any] = _json()
    created_at: datetime = _ts(nullable=False)


class PointsEntry(SQLModel, table=True):
    """One immutable line of the ledger."""

    __tablename__ = "points_entries"
    __table_args__ = (
        UniqueConstraint("event_id", "rule_id", "kind", name="uq_points_event_rule_kind"),
        Index("ix_points_profile_time", "profile_id", "occurred_at"),
        Index("ix_points_profile_rule_time", "profile_id", "rule_id", "occurred_at"),  # limit windows
        Index("ix_points_rule_time", "rule_id", "occurred_at"),
        Index("ix_points_kind_time", "kind", "occurred_at"),
        # What later entries took back from an award (a refund reads it per award it reverses).
        _partial_index(
            "ix_points_reverses_entry", "reverses_entry_id", where="reverses_entry_id IS NOT NULL"
        ),
        _NEVER_REUSE_IDS,
    )
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    profile_id: int = Field(sa_column=Column(BigId, ForeignKey("profiles.id"), nullable=False))
    points: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str  # award | correction | reversal | adjustment | purchase | refund | expiry
    rule_id: str | None = Field(default=None, max_length=64)
    rule_version: int | None = None
    event_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    connector_id: str | None = Field(default=None, max_length=64)
    reverses_entry_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    reason: str | None = None
    admin: str | None = None
    test: bool = False
    occurred_at: datetime = _ts(nullable=False)  # the event's own time: limits count by it
    created_at: datetime = _ts(nullable=False)


class Sample(SQLModel, table=True):
    """A saved request of a connector, replayed against every mapping change as a regression case."""

    __tablename__ = "samples"
    __table_args__ = (_NEVER_REUSE_IDS,)
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    connector_id: str = Field(
        sa_column=Column(
            String(64), ForeignKey("connectors.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    name: str = Field(max_length=200)
    body: Any = _json(nullable=True)
    headers: dict[str, str] = _json()
    query: dict[str, str] = _json()
    expected: Any = _json(nullable=True)  # the mapped output when saved
    mapping_version: int = 1
    created_at: datetime = _ts(nullable=False)


class AdminLog(SQLModel, table=True):
    """What admins did that changes data in bulk (purges, replays): who, what, when, how much."""

    __tablename__ = "admin_log"
    __table_args__ = (_NEVER_REUSE_IDS,)
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    action: str = Field(max_length=64)
    connector_id: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] = _json()
    created_at: datetime = _ts(nullable=False)


class ConfigVersion(SQLModel, table=True):
    """One row whose `version` triggers move on any change to connectors, credentials, event types
    or earning rules (migration 0007): the ingest path's cached snapshots are checked against it."""

    __tablename__ = "config_version"
    id: int = Field(default=1, sa_column=Column(Integer, primary_key=True, autoincrement=False))
    version: int = Field(default=1, sa_column=Column(BigInteger, nullable=False))


class ShareKey(SQLModel, table=True):
    """A connector's shared integration links are signed with its epoch: rotating revokes them all."""

    __tablename__ = "share_keys"
    connector_id: str = Field(
        sa_column=Column(String(64), ForeignKey("connectors.id", ondelete="CASCADE"), primary_key=True)
    )
    epoch: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    rotated_at: datetime = _ts(nullable=False)


class AdminKey(SQLModel, table=True):
    """A named admin key with a role; only a digest of the token is kept (it is shown once)."""

    __tablename__ = "admin_keys"
    id: str = Field(sa_column=Column(String(40), primary_key=True))
    name: str = Field(max_length=100)
    role: str = Field(max_length=16)
    digest: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    prefix: str = Field(max_length=12)
    created_at: datetime = _ts(nullable=False)
    revoked_at: datetime | None = _ts(nullable=True)


class AdminAudit(SQLModel, table=True):
    """One admin write: who, what (method and path, the request), and the resource before/after."""

    __tablename__ = "admin_audit"
    __table_args__ = (Index("ix_admin_audit_at", "at"), _NEVER_REUSE_IDS)
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    at: datetime = _ts(nullable=False)
    key_id: str | None = Field(default=None, max_length=40)
    key_name: str = Field(max_length=100)
    role: str = Field(max_length=16)
    method: str = Field(max_length=8)
    path: str = Field(max_length=512)
    status: int
    request: Any = _json(nullable=True)
    before: Any = _json(nullable=True)
    after: Any = _json(nullable=True)


class MemberToken(SQLModel, table=True):
    """A member's access token for reporting public events: signed and expiring (itsdangerous),
    revocable here; only its id travels inside the signed token."""

    __tablename__ = "member_tokens"
    __table_args__ = (Index("ix_member_tokens_profile", "profile_id"),)
    id: str = Field(sa_column=Column(String(40), primary_key=True))
    profile_id: int = Field(
        sa_column=Column(BigId, ForeignKey("profiles.id", ondelete="CASCADE"), nullable=False)
    )
    created_at: datetime = _ts(nullable=False)
    expires_at: datetime = _ts(nullable=False)
    revoked_at: datetime | None = _ts(nullable=True)


class WebhookEndpoint(SQLModel, table=True):
    """Where outgoing webhooks go: a URL, the kinds it subscribes to, its signing secrets (sealed;
    the previous one stays valid until `previous_expires_at` after a rotation) and its health."""

    __tablename__ = "webhook_endpoints"
    id: str = Field(sa_column=Column(String(40), primary_key=True))
    url: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    kinds: list[str] = _json()
    test: bool = False  # a test endpoint gets test data only; a live one live data only
    status: str = Field(default="enabled", max_length=16)  # enabled | disabled
    disabled_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    secret: str = Field(sa_column=Column(Text, nullable=False))
    previous_secret: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    previous_expires_at: datetime | None = _ts(nullable=True)
    failing_since: datetime | None = _ts(nullable=True)  # the first failed attempt since a success
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class WebhookMessage(SQLModel, table=True):
    """The outbox: one message to one endpoint, written in the transaction of what caused it and
    delivered (at least once, with the same `message_id`) by the delivery worker."""

    __tablename__ = "webhook_messages"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "message_id", name="uq_webhook_messages_endpoint_message"),
        Index("ix_webhook_messages_due", "status", "next_attempt_at"),
        Index("ix_webhook_messages_endpoint", "endpoint_id", "id"),
        _NEVER_REUSE_IDS,
    )
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    message_id: str = Field(max_length=40)
    endpoint_id: str = Field(
        sa_column=Column(String(40), ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str = Field(max_length=64)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # the exact bytes sent, every time
    test: bool = False
    status: str = Field(default="pending", max_length=16)  # pending | delivered | failed
    attempts: int = 0  # since it was last sent again by hand ("Send again" starts a fresh schedule)
    # The attempts on record from before that: a message is being sent while its attempts and
    # these outnumber its rows in webhook_attempts (the worker counts an attempt as it starts).
    earlier_attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    next_attempt_at: datetime = _ts(nullable=False)
    created_at: datetime = _ts(nullable=False)
    delivered_at: datetime | None = _ts(nullable=True)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class WebhookAttempt(SQLModel, table=True):
    """One delivery attempt: when, the answer's status, how long it took, the start of its body."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_message", "message_row_id", "id"), _NEVER_REUSE_IDS)
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    message_row_id: int = Field(
        sa_column=Column(BigId, ForeignKey("webhook_messages.id", ondelete="CASCADE"), nullable=False)
    )
    attempted_at: datetime = _ts(nullable=False)
    status_code: int | None = None
    latency_ms: float = 0.0
    response_excerpt: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Badge(SQLModel, table=True):
    """A badge members earn: granted by rules (a reaction) or by hand; once, or again and again."""

    __tablename__ = "badges"
    id: str = Field(sa_column=Column(String(40), primary_key=True))
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    image_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    repeatable: bool = False
    status: str = Field(default="active", max_length=16)  # active | archived
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class MemberBadge(SQLModel, table=True):
    """A badge a member earned: when, why (a rule and the event, or an admin's note).

    `once` is "once" for a badge that is not repeatable and NULL otherwise: the unique constraint
    then allows one such grant per member (and per ledger: live or test), and any number of the
    repeatable kind (NULLs are distinct)."""

    __tablename__ = "member_badges"
    __table_args__ = (
        UniqueConstraint("profile_id", "badge_id", "test", "once", name="uq_member_badges_once"),
        Index("ix_member_badges_profile", "profile_id", "id"),
        Index("ix_member_badges_event", "event_id"),  # a dry run's badges
        _NEVER_REUSE_IDS,
    )
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    profile_id: int = Field(
        sa_column=Column(BigId, ForeignKey("profiles.id", ondelete="CASCADE"), nullable=False)
    )
    badge_id: str = Field(
        sa_column=Column(String(40), ForeignKey("badges.id", ondelete="CASCADE"), nullable=False)
    )
    test: bool = False
    once: str | None = Field(default=None, max_length=8)
    granted_at: datetime = _ts(nullable=False)
    source: str = Field(max_length=16)  # rule | manual
    rule_id: str | None = Field(default=None, max_length=64)
    rule_version: int | None = None
    event_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class RewardItem(SQLModel, table=True):
    """A reward in the catalog: what it costs, how many are left, who may have how many, when."""

    __tablename__ = "rewards"
    id: str = Field(sa_column=Column(String(40), primary_key=True))
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    image_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    cost: int = Field(sa_column=Column(BigInteger, nullable=False))
    stock: int | None = None  # how many are left; None: unlimited
    issued: int = 0  # how many were issued (cancelled ones given back)
    limit_max: int | None = None  # per member, in each `limit_period`
    limit_period: str | None = Field(default=None, max_length=16)
    available_from: datetime | None = _ts(nullable=True)
    available_until: datetime | None = _ts(nullable=True)
    valid_days: int | None = None  # an issued reward expires this many days after it is issued
    status: str = Field(default="active", max_length=16)  # active | paused | archived
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class IssuedReward(SQLModel, table=True):
    """A reward a member has: bought with points, or issued free by a rule; with its code, status
    (issued, redeemed, expired, cancelled) and the history of its changes."""

    __tablename__ = "issued_rewards"
    __table_args__ = (
        UniqueConstraint("code", name="uq_issued_rewards_code"),
        Index("ix_issued_rewards_profile", "profile_id", "id"),
        Index("ix_issued_rewards_reward_member", "reward_id", "profile_id", "issued_at"),
        # The expiry pass: rewards still issued, by the end of their validity.
        _partial_index("ix_issued_rewards_due", "expires_at", where="status = 'issued'"),
        _NEVER_REUSE_IDS,
    )
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    reward_id: str = Field(sa_column=Column(String(40), ForeignKey("rewards.id"), nullable=False))
    profile_id: int = Field(sa_column=Column(BigId, ForeignKey("profiles.id"), nullable=False))
    test: bool = False
    code: str = Field(max_length=40)
    status: str = Field(default="issued", max_length=16)
    source: str = Field(max_length=16)  # purchase | rule
    cost: int = Field(sa_column=Column(BigInteger, nullable=False))
    spend_entry_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    refund_entry_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    rule_id: str | None = Field(default=None, max_length=64)
    rule_version: int | None = None
    event_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    issued_at: datetime = _ts(nullable=False)
    expires_at: datetime | None = _ts(nullable=True)
    updated_at: datetime = _ts(nullable=False)
    history: list[dict[str, Any]] = _json()


class ProgramSetting(SQLModel, table=True):
    """A setting of the loyalty program kept with its data (the expiry policy), not in the env."""

    __tablename__ = "program_settings"
    key: str = Field(sa_column=Column(String(64), primary_key=True))
    value: Any = _json()
    updated_at: datetime = _ts(nullable=False)


class IntrinsicEvent(SQLModel, table=True):
    """An intrinsic event (EARNED_BADGE, PURCHASED_REWARD, POINTS_EXPIRED) owed to the pipeline:
    written in the transaction of what caused it, reported after (pipeline/intrinsic.py), so a
    crash between the two loses nothing; reported with the clientEventId `intrinsic:<id>`, so it
    counts once however often it is tried."""

    __tablename__ = "intrinsic_events"
    __table_args__ = (Index("ix_intrinsic_events_pending", "reported_at", "id"), _NEVER_REUSE_IDS)
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    type: str = Field(max_length=64)
    event: Any = _json()  # the event as POST /events takes it
    test: bool = False
    occurred_at: datetime = _ts(nullable=False)
    created_at: datetime = _ts(nullable=False)
    reported_at: datetime | None = _ts(nullable=True)
    request_id: str | None = Field(default=None, max_length=64)
