"""A replayed event's awards: judged by the rules as they are now, only the difference written."""

from __future__ import annotations

from typing import Any

from mapping import MappedEvent
from pipeline import chain as chains
from pipeline.awards import AwardOutcome, evaluate_event
from pipeline.chain import Chain
from pipeline.context import RunContext
from storage import ledger
from storage.database import Connection
from storage.events import EventRow


async def replay_awards(
    conn: Connection,
    ctx: RunContext,
    chain: Chain,
    mapped: MappedEvent,
    row: EventRow,
    profile_id: int,
    held_rule_locks: set[str] | None = None,
) -> AwardOutcome:
    """Judge a replayed event by the rules as they are now, its own chain left out of its limits,
    and write only the difference to what the chain already earned."""
    evaluation = await evaluate_event(
        conn,
        rules=ctx.rules,
        statuses=ctx.rule_statuses,
        mapped=mapped,
        event_type=ctx.event_type,
        connector_id=ctx.snapshot.id,
        profile_id=profile_id,
        occurred_at=row.occurred_at,
        test=ctx.test,
        tz=ctx.settings.tz,
        exclude_event_ids=chain.event_ids,
        held_rule_locks=held_rule_locks,
    )
    written = await chains.settle(
        conn,
        chain,
        chains.desired_of(evaluation, profile_id),
        event_id=row.written_id,
        base_row=row,
        how=settlement(ctx, row.occurred_at),
    )
    balance, _lifetime = await ledger.balance_of(conn, profile_id, test=ctx.test)
    return AwardOutcome(
        awards=written, trace=list(evaluation.trace), balance=balance, rules_step=evaluation.trace_step()
    )


def settlement(ctx: RunContext, occurred_at: Any) -> chains.Settlement:
    return chains.Settlement(
        occurred_at=occurred_at,
        now=ctx.request.received_at,
        connector_id=ctx.snapshot.id,
        test=ctx.test,
        active_rule_ids=frozenset(rule.id for rule in ctx.rules),
    )
