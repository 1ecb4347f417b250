"""Rate limits on ingest: per connector, and per source address for refused and unknown requests.

A sender over its connector's budget gets 429 with `Retry-After`; so does an address that keeps
sending refused credentials or made-up connector URLs (a guesser). Counted with `limits`: in
process memory by default, or in Redis (`INBOUND_REDIS_URL`) so that every process of a
deployment shares one budget. A 429 is counted (GET /api/stats/overview), not logged row by row.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field

from limits import RateLimitItem, RateLimitItemPerSecond, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

from errors import RateLimited
from settings import RATE_OFF, Settings


@dataclass
class IngestLimits:
    connector: RateLimitItem | None
    refused: RateLimitItem | None
    limiter: FixedWindowRateLimiter
    limited: dict[str, int] = field(default_factory=lambda: {"connector": 0, "address": 0})

    async def check_connector(self, connector_id: str) -> None:
        item = self.connector
        if item is not None and not await self.limiter.hit(item, "connector", connector_id):
            self.limited["connector"] += 1
            raise RateLimited(
                f"connector {connector_id[:64]!r} is over its rate limit ({self.connector}); slow down "
                "and retry after the time in Retry-After",
                await self._retry_after(item, "connector", connector_id),
            )

    async def check_address(self, address: str) -> None:
        """Before anything else: an address that used up its budget of refusals waits."""
        if self.refused is not None and not await self.limiter.test(self.refused, "refused", address):
            self.limited["address"] += 1
            raise RateLimited(
                f"too many refused requests from this address ({self.refused}): check the connector "
                "URL and credential, and retry after the time in Retry-After",
                await self._retry_after(self.refused, "refused", address),
            )

    async def count_refusal(self, address: str) -> None:
        if self.refused is not None:
            await self.limiter.hit(self.refused, "refused", address)

    async def first_use(self, connector_id: str, key: str, window_seconds: int) -> bool:
        """True the first time `key` is seen on this connector within the window (across every
        process when counting in Redis): the replay check of signed requests."""
        item = RateLimitItemPerSecond(1, max(window_seconds, 1))
        return await self.limiter.hit(item, "replay", connector_id, key)

    async def close(self) -> None:
        """Close the Redis connections, if counting there (at shutdown)."""
        storage = getattr(self.limiter, "storage", None)
        client = getattr(getattr(storage, "bridge", None), "storage", None)
        if client is not None and hasattr(client, "aclose"):
            await client.aclose()

    async def _retry_after(self, item: RateLimitItem, *keys: str) -> int:
        stats = await self.limiter.get_window_stats(item, *keys)
        return max(1, math.ceil(stats.reset_time - time.time()))


def limit_of(text: str) -> RateLimitItem | None:
    """`1000/second`, `60/minute` … or `off` (settings.load_settings checked it)."""
    return None if text.strip().lower() in RATE_OFF else parse(text)


def ingest_limits(settings: Settings) -> IngestLimits:
    storage: Storage
    if settings.redis_url:
        # Keys per database: two deployments (or two test runs) on one Redis never share a budget.
        prefix = "inbound:" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
        storage = RedisStorage("async+" + settings.redis_url, implementation="redispy", key_prefix=prefix)
    else:
        storage = MemoryStorage()
    return IngestLimits(
        limit_of(settings.rate_limit_connector),
        limit_of(settings.rate_limit_refused),
        FixedWindowRateLimiter(storage),
    )
