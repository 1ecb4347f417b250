"""The steps of `process_item` that a replay does its own way, and the live way of each.

A live event is new: it is a duplicate of what was received before it, takes its place among
the member's events, claims its clientEventId and earns by the rules. A replayed event
(pipeline/replay.py) belongs to a chain of rows for the same raw event: it is compared with what
lies outside its chain, keeps its place, finds its clientEventId held by its own chain, reverses
nothing its chain already reversed, and writes only the difference to what its chain earned.
`process_item` is one sequence of steps for both; `way_of` picks the way of an item. `conn` is
the transaction's connection; only storage/ and the functions it is handed to use it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mapping import MappedEvent
from pipeline import chain as chains
from pipeline.awards import AwardOutcome, award_points
from pipeline.batch_state import BatchState
from pipeline.chain import Chain
from pipeline.context import RunContext, WorkItem
from pipeline.enhance import earlier_nth
from pipeline.replay_awards import replay_awards
from storage import events as event_store
from storage.events import EventRow


class LiveWay:
    """A new event."""

    def start(self, row: EventRow, trace: list[dict[str, Any]], now: datetime) -> None:
        """Nothing to add to a new event's row and trace."""

    async def first_identical(
        self, conn: Any, ctx: RunContext, key: str, now: datetime, window: int
    ) -> int | None:
        """The identical event received within the window before this one, if any."""
        return await event_store.recent_identical(conn, ctx.snapshot.id, key, now, window, test=ctx.test)

    def known_place(self) -> int | None:
        """Its place among the member's events of its type, when already decided."""
        return None

    async def held_by(self, conn: Any, ctx: RunContext, client_event_id: str) -> int | None:
        """The row that already holds this clientEventId for this very event (not a duplicate)."""
        return None

    def reversed_by(self) -> int | None:
        """The event that already made this refund's reversal."""
        return None

    async def award(
        self,
        conn: Any,
        ctx: RunContext,
        mapped: MappedEvent,
        row: EventRow,
        profile_id: int,
        state: BatchState,
    ) -> AwardOutcome:
        return await award_points(
            conn,
            rules=ctx.rules,
            statuses=ctx.rule_statuses,
            mapped=mapped,
            event_type=ctx.event_type,
            connector_id=ctx.snapshot.id,
            profile_id=profile_id,
            event_id=row.written_id,
            occurred_at=row.occurred_at,
            now=ctx.request.received_at,
            test=ctx.test,
            tz=ctx.settings.tz,
            held_rule_locks=state.rule_locks,
            balances=state.balances,
        )

    def new_awards(self, awards: list[dict[str, Any]], profile_id: int) -> list[dict[str, Any]]:
        """The awards the rules' reactions follow."""
        return awards


class ReplayWay(LiveWay):
    """An event replayed as part of its chain."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    def start(self, row: EventRow, trace: list[dict[str, Any]], now: datetime) -> None:
        self.chain.keep_origin(row)
        trace.append({"step": "replay", "replayOf": row.replay_of, "at": now.isoformat()})

    async def first_identical(
        self, conn: Any, ctx: RunContext, key: str, now: datetime, window: int
    ) -> int | None:
        return await chains.identical_outside(conn, self.chain, ctx.snapshot.id, key, window)

    def known_place(self) -> int | None:
        return earlier_nth(self.chain.original.get("mapped"))  # a replay keeps its own place

    async def held_by(self, conn: Any, ctx: RunContext, client_event_id: str) -> int | None:
        held: int | None = await chains.claimed_by_chain(conn, self.chain, ctx.snapshot.id, client_event_id)
        return held

    def reversed_by(self) -> int | None:
        return self.chain.reversed_by  # a refund reverses once: its chain already did

    async def award(
        self,
        conn: Any,
        ctx: RunContext,
        mapped: MappedEvent,
        row: EventRow,
        profile_id: int,
        state: BatchState,
    ) -> AwardOutcome:
        outcome = await replay_awards(conn, ctx, self.chain, mapped, row, profile_id, state.rule_locks)
        state.balances.clear()
        return outcome

    def new_awards(self, awards: list[dict[str, Any]], profile_id: int) -> list[dict[str, Any]]:
        # Only the awards made anew react, not the corrections of earlier ones.
        return [a for a in awards if a.get("before") == 0 and a.get("profileId") == profile_id]


LIVE = LiveWay()


def way_of(item: WorkItem) -> LiveWay:
    return LIVE if item.chain is None else ReplayWay(item.chain)
