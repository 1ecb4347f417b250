"""The delivery worker: one per server process, sending the outbox's due messages.

Each pass claims up to `BATCH` due messages (a lease, see storage/webhooks.py), sends them at
once over httpx, signed per Standard Webhooks with every active secret of their endpoint, and
records each attempt: a 2xx answer delivers the message; anything else (another status, a
timeout, a refused connection) schedules the next attempt after the configured wait, until the
schedule runs out and the message is `failed`. An endpoint whose every delivery has failed for
`webhook_disable_after_seconds` is disabled when one more message to it fails for good.
Redirects are not followed: a receiver answers where it was registered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from settings import Settings
from storage import webhooks as store
from storage.database import Database
from storage.secrets import unseal
from webhooks import signing
from webhooks.retry import next_wait

log = logging.getLogger("inbound.webhooks")

BATCH = 20
EXCERPT = 500  # characters of an answer's body kept with the attempt
IDLE_SECONDS = 1.0  # how often an idle worker looks for due messages (a new message wakes it at once)
USER_AGENT = "Inbound-Webhooks/1.0"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: float
    excerpt: str | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def describe(self) -> str:
        if self.error:
            return self.error
        return f"HTTP {self.status_code}" + (f": {self.excerpt[:120]}" if self.excerpt else "")


def active_secrets(row: dict[str, Any], now: datetime) -> list[str]:
    """The endpoint's secret, and the previous one while a rotation's overlap lasts."""
    found = [unseal(row["secret"])]
    if row.get("previous_secret") and row.get("previous_expires_at") and row["previous_expires_at"] > now:
        found.append(unseal(row["previous_secret"]))
    return found


async def send(client: httpx.AsyncClient, row: dict[str, Any], now: datetime) -> Outcome:
    body = row["payload"].encode("utf-8")
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        **signing.headers(active_secrets(row, now), row["message_id"], int(now.timestamp()), body),
    }
    started = time.perf_counter()
    try:
        answer = await client.post(row["url"], content=body, headers=headers)
    except httpx.TimeoutException:
        return Outcome(None, _ms(started), None, f"no answer within {client.timeout.read} s (timeout)")
    except httpx.HTTPError as exc:
        return Outcome(None, _ms(started), None, f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__)
    excerpt = answer.text[:EXCERPT] if answer.content else None
    return Outcome(answer.status_code, _ms(started), excerpt, None)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _lease(settings: Settings) -> timedelta:
    # Past the attempt's own end: a message is sent again only if its process died mid-attempt.
    return timedelta(seconds=2 * settings.webhook_timeout_seconds + 5)


async def deliver_due(
    db: Database, settings: Settings, client: httpx.AsyncClient, now: Callable[[], datetime]
) -> int:
    """One pass: claim, send, record. The number of messages attempted."""
    claimed_at = now()
    async with db.read() as conn:
        if not await store.any_due(conn, claimed_at):
            return 0
    async with db.write() as conn:
        rows = await store.claim_due(conn, claimed_at, claimed_at + _lease(settings), BATCH)
    if not rows:
        return 0
    outcomes = await asyncio.gather(*(send(client, row, claimed_at) for row in rows))
    finished = now()
    async with db.write() as conn:
        for row, outcome in zip(rows, outcomes, strict=True):
            await _record(conn, settings, row, outcome, finished)
    return len(rows)


async def _record(conn: Any, settings: Settings, row: dict[str, Any], outcome: Outcome, at: datetime) -> None:
    await store.record_attempt(
        conn,
        row["id"],
        at=at,
        status_code=outcome.status_code,
        latency_ms=outcome.latency_ms,
        excerpt=outcome.excerpt,
        error=outcome.error,
    )
    common = {
        "last_status_code": outcome.status_code,
        "last_error": None if outcome.delivered else outcome.describe(),
    }
    if outcome.delivered:
        await store.settle(conn, row["id"], {**common, "status": "delivered", "delivered_at": at})
        await store.mark_endpoint_healthy(conn, row["endpoint_id"])
        return
    failing_since = await store.mark_endpoint_failing(conn, row["endpoint_id"], at)
    wait = next_wait(settings.webhook_waits, row["attempts"])
    if wait is not None:
        await store.settle(conn, row["id"], {**common, "next_attempt_at": at + timedelta(seconds=wait)})
        return
    await store.settle(conn, row["id"], {**common, "status": "failed"})
    if at - failing_since >= timedelta(seconds=settings.webhook_disable_after_seconds):
        reason = (
            f"disabled on {at.isoformat(timespec='seconds')}: every delivery since "
            f"{failing_since.isoformat(timespec='seconds')} failed, and message {row['message_id']} "
            f"failed for good after {row['attempts']} attempts (the last: {outcome.describe()}); "
            "fix the receiver, then enable the endpoint again: its pending messages go out then"
        )
        await store.disable_endpoint(conn, row["endpoint_id"], reason, at)
        log.warning("webhook endpoint %s disabled: %s", row["endpoint_id"], reason)


def wake(db: Database) -> None:
    """A new message is in the outbox: the worker need not wait for its next look."""
    event = getattr(db, "outbox_wakeup", None)
    if event is not None:
        event.set()


async def deliver_forever(
    db: Database, settings: Settings, now: Callable[[], datetime] | None = None
) -> None:
    clock = now or (lambda: datetime.now(UTC))
    db.outbox_wakeup = wakeup = asyncio.Event()
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        while True:
            try:
                attempted = await deliver_due(db, settings, client, clock)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("a webhook delivery pass failed; trying again shortly", exc_info=True)
                attempted = 0
            if attempted:
                continue
            wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), IDLE_SECONDS)
