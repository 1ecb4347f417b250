"""One typed settings object, read from `INBOUND_*` environment variables and validated at start-up."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from errors import InvalidInput
from webhooks.retry import DEFAULT_SCHEDULE, parse_schedule

ADMIN_TOKEN_FILE = Path(".inbound/admin-token")
MAPPING_ENGINES = ("jlens", "jsonata-python")  # mapping.engine.ENGINES
MIN_ADMIN_TOKEN = 16  # characters: a one-character admin token was accepted
RATE_OFF = ("", "off", "0")


def _check_rate(name: str, text: str) -> None:
    from limits import parse  # the rate syntax is the `limits` library's (api/rate_limits.py)

    if text.strip().lower() in RATE_OFF:
        return
    try:
        parse(text)
    except ValueError:
        raise InvalidInput(
            f"INBOUND_{name.upper()}: {text!r} is not a rate such as 1000/second, 60/minute or off"
        ) from None


@dataclass(frozen=True)
class Settings:
    """Every setting, its environment variable and default. Documented in docs/settings.md."""

    database_url: str = "sqlite+aiosqlite:///./inbound.db"
    admin_token: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    max_body_bytes: int = 1024 * 1024
    max_batch_items: int = 1000
    mapping_timeout_ms: int = 1000
    mapping_max_depth: int = 200
    mapping_max_items: int = 100_000
    mapping_engine: str = "jlens"
    # Mappings that run off the event loop (batches, slow ones) run in this many worker processes,
    # each evaluation stopped when it takes more memory than the bound (mapping/isolation.py);
    # 0: on threads of the server, with no memory bound.
    mapping_workers: int = 2
    mapping_max_memory_mb: int = 256
    duplicate_window_seconds: int = 60
    # How far from when it is received an event may be dated, unless its event type says otherwise.
    max_past_days: int = 30
    max_future_seconds: int = 300
    member_token_days: int = 30  # how long a member's access token lasts, unless asked otherwise
    timezone: str = "UTC"
    log_level: str = "info"
    log_format: str = "text"
    rate_limit_connector: str = "1000/second"
    rate_limit_refused: str = "300/minute"
    redis_url: str = ""
    retention_request_days: int = 90
    retention_raw_days: int = 90
    # Outgoing webhooks: how long one attempt may take, the waits between attempts, and how long
    # an endpoint may fail every delivery before it is disabled (webhooks/retry.py).
    webhook_timeout_seconds: int = 10
    webhook_retry_schedule: str = DEFAULT_SCHEDULE
    webhook_disable_after_seconds: int = 5 * 86_400
    expiry_interval_seconds: int = 3600  # how often the expiry pass runs in each process; 0: never

    @property
    def webhook_waits(self) -> tuple[float, ...]:
        return parse_schedule(self.webhook_retry_schedule)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def mapping_bounds(self) -> dict[str, Any]:
        """The keyword arguments of `CompiledMapping.compile` / `compile_cached`."""
        return {
            "timeout_ms": self.mapping_timeout_ms,
            "max_depth": self.mapping_max_depth,
            "max_items": self.mapping_max_items,
            "max_events": self.max_batch_items,  # mapped events from one raw event
            "engine": self.mapping_engine,
            "max_memory_mb": self.mapping_max_memory_mb,
        }

    def env_names(self) -> list[str]:
        return [f"INBOUND_{f.name.upper()}" for f in fields(self)]


def _int(name: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"INBOUND_{name.upper()}: {raw!r} is not a whole number") from None
    if value < minimum:
        raise InvalidInput(f"INBOUND_{name.upper()}: {value} must be at least {minimum}")
    return value


_MINIMUMS = {
    "port": 0,
    "max_body_bytes": 1,
    "max_batch_items": 1,
    "mapping_timeout_ms": 1,
    "mapping_max_depth": 10,
    "mapping_max_items": 100,
    "mapping_workers": 0,
    "mapping_max_memory_mb": 16,
    "duplicate_window_seconds": 0,
    "max_past_days": 0,
    "max_future_seconds": 0,
    "member_token_days": 1,
    "retention_request_days": 0,
    "retention_raw_days": 0,
    "webhook_timeout_seconds": 1,
    "webhook_disable_after_seconds": 0,
    "expiry_interval_seconds": 0,
}


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from the environment (and explicit overrides, used by tests and the CLI)."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for f in fields(Settings):
        raw = env.get(f"INBOUND_{f.name.upper()}")
        if raw is None or raw == "":
            continue
        values[f.name] = _int(f.name, raw, _MINIMUMS[f.name]) if f.name in _MINIMUMS else raw
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    try:
        settings.tz  # noqa: B018 - validate early so a typo fails at start-up, not at the first event
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"INBOUND_TIMEZONE: {settings.timezone!r} is not a known time zone") from None
    if settings.mapping_engine not in MAPPING_ENGINES:
        raise InvalidInput(
            f"INBOUND_MAPPING_ENGINE: {settings.mapping_engine!r} is not a mapping engine; use one of "
            + ", ".join(MAPPING_ENGINES)
        )
    if settings.admin_token and len(settings.admin_token.strip()) < MIN_ADMIN_TOKEN:
        raise InvalidInput(
            f"INBOUND_ADMIN_TOKEN: {len(settings.admin_token.strip())} characters is too short for the key "
            f"to everything; use at least {MIN_ADMIN_TOKEN}, e.g. from `openssl rand -hex 24`"
        )
    if settings.log_format not in ("text", "json"):
        raise InvalidInput(f"INBOUND_LOG_FORMAT: {settings.log_format!r} is not one of text, json")
    for name in ("rate_limit_connector", "rate_limit_refused"):
        _check_rate(name, getattr(settings, name))
    if settings.redis_url and not settings.redis_url.startswith(("redis://", "rediss://")):
        raise InvalidInput(
            f"INBOUND_REDIS_URL: {settings.redis_url!r} must start with redis:// or rediss://, "
            "e.g. redis://127.0.0.1:6379/0"
        )
    try:
        settings.webhook_waits  # noqa: B018 - a typo fails at start-up, not at the first failed delivery
    except ValueError as exc:
        raise InvalidInput(f"INBOUND_WEBHOOK_RETRY_SCHEDULE: {exc}") from None
    if not settings.database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise InvalidInput(
            f"INBOUND_DATABASE_URL: {settings.database_url!r} must start with "
            "sqlite+aiosqlite:// or postgresql+asyncpg://"
        )
    return settings


def ensure_admin_token(settings: Settings) -> Settings:
    """Use INBOUND_ADMIN_TOKEN, else a token kept in .inbound/admin-token (created once)."""
    if settings.admin_token:
        return settings
    if ADMIN_TOKEN_FILE.exists():
        token = ADMIN_TOKEN_FILE.read_text().strip()
    else:
        ADMIN_TOKEN_FILE.parent.mkdir(parents=True, exist_ok=True)
        token = "adm_" + secrets.token_urlsafe(24)
        ADMIN_TOKEN_FILE.write_text(token + "\n")
        ADMIN_TOKEN_FILE.chmod(0o600)
    return Settings(**{**settings.__dict__, "admin_token": token})
