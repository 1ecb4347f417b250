"""The points ledger: append-only entries and the balances that always equal their sum."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, exists, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import insert
from storage.driver import RawTransaction
from storage.tables import Balance, PointsEntry

entries = PointsEntry.__table__  # type: ignore[attr-defined]
balances = Balance.__table__  # type: ignore[attr-defined]


_statements: dict[tuple[str, str], Any] = {}


def _statement(conn: AsyncConnection, name: str) -> Any:
    """The hot-path statements, built once per dialect and executed with parameters.

    Building `insert(...).values(**row)` per call costs more CPU than the round trip on SQLite
    (new bind objects, a fresh cache key over every value); a prebuilt statement hits
    SQLAlchemy's compiled cache straight away.
    """
    key = (conn.dialect.name, name)
    stmt = _statements.get(key)
    if stmt is None:
        if name == "entry":
            stmt = insert(conn, entries).returning(entries.c.id)
        elif name == "awards":
            stmt = (
                insert(conn, entries)
                .on_conflict_do_nothing(index_elements=["event_id", "rule_id", "kind"])
                .returning(entries.c.id, entries.c.rule_id, entries.c.points)
            )
        elif name == "entry_once":
            stmt = (
                insert(conn, entries)
                .on_conflict_do_nothing(index_elements=["event_id", "rule_id", "kind"])
                .returning(entries.c.id)
            )
        else:
            upsert = insert(conn, balances)
            stmt = upsert.on_conflict_do_update(
                index_elements=["profile_id", "test"],
                set_={
                    "balance": balances.c.balance + upsert.excluded.balance,
                    "lifetime": balances.c.lifetime + upsert.excluded.lifetime,
                    "updated_at": upsert.excluded.updated_at,
                },
            ).returning(balances.c.balance, balances.c.lifetime)
        _statements[key] = stmt
    return stmt


async def add_entry(conn: AsyncConnection, row: dict[str, Any]) -> int | None:
    """Append one entry and move the balance with it. None if (event, rule) already earned.

    The unique constraint on (event_id, rule_id) makes a second award impossible, whatever the
    caller believed; the balance moves only when the entry really went in.
    """
    added = await add_entry_moving(conn, row)
    return added[0] if added is not None else None


async def add_entry_moving(conn: AsyncConnection, row: dict[str, Any]) -> tuple[int, int] | None:
    """`add_entry`, answering (entry id, the profile's balance after it) from the upsert's RETURNING."""
    once = row.get("event_id") is not None and row.get("rule_id") is not None
    stmt = _statement(conn, "entry_once" if once else "entry")
    entry_id = (await conn.execute(stmt, row)).scalar_one_or_none()
    if entry_id is None:
        return None
    balance, _lifetime = await move_balance(
        conn, row["profile_id"], row["points"], test=row["test"], now=row["created_at"]
    )
    return int(entry_id), balance


async def _insert_once(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> list[int | None]:
    """One event's entries, one per rule, in ONE insert: each row's entry id, None where (event,
    rule, kind) was already there."""
    params = [{**row, "points": int(row["points"])} for row in rows]
    inserted = await conn.execute(_statement(conn, "awards"), params)
    by_rule = {rule_id: int(entry_id) for entry_id, rule_id, _points in inserted}
    return [by_rule.get(row["rule_id"]) for row in rows]


def _moves(rows: Sequence[dict[str, Any]], ids: Sequence[int | None]) -> dict[tuple[int, bool], list[int]]:
    """The points that really went in, per member's balance (profile id, test)."""
    moved: dict[tuple[int, bool], list[int]] = {}
    for row, entry_id in zip(rows, ids, strict=True):
        if entry_id is not None:
            moved.setdefault((row["profile_id"], row["test"]), []).append(int(row["points"]))
    return moved


def _balance_move(profile_id: int, test: bool, points: list[int], now: datetime) -> dict[str, Any]:
    return {
        "profile_id": profile_id,
        "test": test,
        "balance": sum(points),
        "lifetime": sum(max(p, 0) for p in points),
        "updated_at": now,
    }


async def add_entries_once(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> list[int | None]:
    """Append entries of one event, one per rule (a refund's reversals), in ONE insert, and move
    each member's balance once by what really went in. Each row's entry id; None where (event,
    rule, kind) was already there, as `add_entry` answers."""
    if not rows:
        return []
    ids = await _insert_once(conn, rows)
    now = rows[0]["created_at"]
    for (profile_id, test), points in sorted(_moves(rows, ids).items()):
        await conn.execute(_statement(conn, "balance"), _balance_move(profile_id, test, points, now))
    return ids


async def add_awards(
    conn: AsyncConnection, rows: Sequence[dict[str, Any]]
) -> tuple[list[int | None], int | None]:
    """Append one event's awards (one per rule) in ONE insert and move the balance once by what
    really went in. Returns each row's entry id (None if (event, rule) already earned) and the
    balance after, from the upsert's RETURNING (None when nothing went in)."""
    first = rows[0]
    ids = await _insert_once(conn, rows)
    points = [p for moved in _moves(rows, ids).values() for p in moved]  # one member: the event's
    if not points:
        return ids, None
    move = _balance_move(first["profile_id"], first["test"], points, first["created_at"])
    balance = (await conn.execute(_statement(conn, "balance"), move)).one()[0]
    return ids, int(balance)


async def move_balance(
    conn: AsyncConnection, profile_id: int, points: int, *, test: bool, now: datetime
) -> tuple[int, int]:
    """Add `points` to the balance (and the positive part to the lifetime); the new (balance, lifetime)."""
    params = {
        "profile_id": profile_id,
        "test": test,
        "balance": points,
        "lifetime": max(points, 0),
        "updated_at": now,
    }
    row = (await conn.execute(_statement(conn, "balance"), params)).one()
    return int(row[0]), int(row[1])


async def add_to_balance(
    conn: AsyncConnection, profile_id: int, balance: int, lifetime: int, *, test: bool, now: datetime
) -> None:
    """Add to a balance and its lifetime as they are (a merge moves another member's totals)."""
    params = {
        "profile_id": profile_id,
        "test": test,
        "balance": balance,
        "lifetime": lifetime,
        "updated_at": now,
    }
    await conn.execute(_statement(conn, "balance"), params)


async def balance_of(conn: AsyncConnection, profile_id: int, *, test: bool) -> tuple[int, int]:
    row = (
        await conn.execute(
            select(balances.c.balance, balances.c.lifetime).where(
                balances.c.profile_id == profile_id, balances.c.test == test
            )
        )
    ).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


_usage_statements: dict[tuple[Any, ...], Any] = {}


def _usage_statement(shape: tuple[tuple[bool, bool, bool], ...], excluding: bool) -> Any:
    """One SELECT counting every window: two conditional sums per window, bound by position.

    Window i matches rows of rule `:r{i}` (and profile `:p` when profile-scoped) with event time
    in [`:s{i}`, `:e{i}`). Built once per shape (scopes and open ends), then only re-bound.
    """
    key = (shape, excluding)
    stmt = _usage_statements.get(key)
    if stmt is not None:
        return stmt
    times = case(
        (entries.c.kind == "award", 1),
        (entries.c.reverses_entry_id.is_not(None), -1),
        else_=0,
    )
    columns = []
    scopes = []
    for i, (per_profile, has_start, has_end) in enumerate(shape):
        match = [entries.c.rule_id == bindparam(f"r{i}")]
        if per_profile:
            match.append(entries.c.profile_id == bindparam("p"))
        if has_start:
            match.append(entries.c.occurred_at >= bindparam(f"s{i}", type_=entries.c.occurred_at.type))
        if has_end:
            match.append(entries.c.occurred_at < bindparam(f"e{i}", type_=entries.c.occurred_at.type))
        columns.append(func.coalesce(func.sum(case((and_(*match), times), else_=0)), 0))
        columns.append(func.coalesce(func.sum(case((and_(*match), entries.c.points), else_=0)), 0))
        scope = entries.c.rule_id == bindparam(f"r{i}")
        scopes.append(and_(scope, entries.c.profile_id == bindparam("p")) if per_profile else scope)
    stmt = select(*columns).where(
        or_(*scopes), entries.c.kind.in_(("award", "correction")), entries.c.test == bindparam("t")
    )
    if excluding:
        excluded = entries.c.event_id.not_in(bindparam("x", expanding=True))
        stmt = stmt.where(or_(entries.c.event_id.is_(None), excluded))
    _usage_statements[key] = stmt
    return stmt


async def rule_usages(
    conn: AsyncConnection,
    windows: Sequence[tuple[str, str, datetime | None, datetime | None]],
    *,
    profile_id: int,
    test: bool,
    exclude_event_ids: Collection[int] = (),
) -> list[tuple[int, int]]:
    """`rule_usage` for many windows (rule id, scope, start, end) in ONE statement, in their order."""
    if not windows:
        return []
    shape = tuple(
        (scope == "profile", start is not None, end is not None) for _r, scope, start, end in windows
    )
    params: dict[str, Any] = {"p": profile_id, "t": test}
    for i, (rule_id, _scope, start, end) in enumerate(windows):
        params[f"r{i}"] = rule_id
        if start is not None:
            params[f"s{i}"] = start
        if end is not None:
            params[f"e{i}"] = end
    if exclude_event_ids:
        params["x"] = list(exclude_event_ids)
    row = (await conn.execute(_usage_statement(shape, bool(exclude_event_ids)), params)).one()
    return [(int(row[2 * i]), int(row[2 * i + 1])) for i in range(len(windows))]


async def mismatched_balances(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every (profile, ledger) whose stored balance or lifetime differs from its entries.

    `balance` must equal the sum of the entries, `lifetime` the sum of the positive ones but
    refunds (that is
    what `move_balance` adds, and what a purge takes back). The sums and the stored balances are
    read in ONE statement, so on PostgreSQL they come from one snapshot even under READ COMMITTED:
    an event committing between two separate reads would otherwise show as a false mismatch.
    """
    # A refund (a cancelled purchase giving its points back) was not earned: not in the lifetime.
    gained = case((and_(entries.c.points > 0, entries.c.kind != "refund"), entries.c.points), else_=0)
    sums = (
        select(
            entries.c.profile_id.label("profile_id"),
            entries.c.test.label("test"),
            func.sum(entries.c.points).label("total"),
            func.sum(gained).label("gained"),
        )
        .group_by(entries.c.profile_id, entries.c.test)
        .cte("sums")
    )
    total, positive = func.coalesce(sums.c.total, 0), func.coalesce(sums.c.gained, 0)
    stored_side = (
        select(
            balances.c.profile_id, balances.c.test, balances.c.balance, balances.c.lifetime, total, positive
        )
        .select_from(
            balances.outerjoin(
                sums, and_(sums.c.profile_id == balances.c.profile_id, sums.c.test == balances.c.test)
            )
        )
        .where(or_(balances.c.balance != total, balances.c.lifetime != positive))
    )
    no_balance_row = ~exists().where(
        balances.c.profile_id == sums.c.profile_id, balances.c.test == sums.c.test
    )
    entries_side = select(
        sums.c.profile_id, sums.c.test, literal(0), literal(0), sums.c.total, sums.c.gained
    ).where(no_balance_row, or_(sums.c.total != 0, sums.c.gained != 0))
    rows = (await conn.execute(union_all(stored_side, entries_side))).all()
    problems = []
    for profile_id, test, balance, lifetime, sum_total, sum_gained in rows:
        problem: dict[str, Any] = {
            "profileId": int(profile_id),
            "test": bool(test),
            "balance": int(balance),
            "sumOfEntries": int(sum_total),
        }
        if int(lifetime) != int(sum_gained):  # named only when it is off, so the usual shape stays
            problem.update(lifetime=int(lifetime), sumOfPositiveEntries=int(sum_gained))
        problems.append(problem)
    return sorted(problems, key=lambda p: (p["profileId"], p["test"]))


async def balances_of(conn: AsyncConnection, profile_ids: Collection[int], *, test: bool) -> dict[int, int]:
    """The balances of many profiles in one statement; 0 for one without a balance row yet."""
    if not profile_ids:
        return {}
    rows = await conn.execute(
        select(balances.c.profile_id, balances.c.balance).where(
            balances.c.profile_id.in_(sorted(profile_ids)), balances.c.test == test
        )
    )
    found = {int(pid): int(balance) for pid, balance in rows}
    return {pid: found.get(pid, 0) for pid in profile_ids}


async def add_entry_raw(tx: RawTransaction, row: dict[str, Any]) -> int:
    """An entry without an event or a rule (a purchase, its refund, an expiry), and the balance move,
    in plain SQL for either write path. A refund gives points back without earning them: the
    lifetime does not grow (see `mismatched_balances`)."""
    found = await tx.fetch(
        "INSERT INTO points_entries (profile_id, points, kind, reason, admin, test, occurred_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [
            row["profile_id"],
            row["points"],
            row["kind"],
            row.get("reason"),
            row.get("admin"),
            row["test"],
            tx.ts(row["occurred_at"]),
            tx.ts(row["created_at"]),
        ],
    )
    gained = row["points"] if row["points"] > 0 and row["kind"] != "refund" else 0
    await tx.fetch(
        "INSERT INTO balances (profile_id, test, balance, lifetime, updated_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (profile_id, test) DO UPDATE SET balance = balances.balance + excluded.balance, "
        "lifetime = balances.lifetime + excluded.lifetime, updated_at = excluded.updated_at",
        [row["profile_id"], row["test"], row["points"], gained, tx.ts(row["created_at"])],
    )
    return int(found[0][0])
