"""Admin API for members: register (which reports the intrinsic REGISTERED_ACCOUNT event), list
and search, read, update attributes, and issue and revoke the access tokens members report
public events with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.http import (
    JSON,
    MAX_ID,
    bool_param,
    check_text,
    db_of,
    int_param,
    page,
    path_id,
    read_json,
    read_json_or_empty,
    settings_of,
)
from api.member_tokens import new_token_id, token_for
from api.models.members import (
    ATTRIBUTE_NAME,
    MAX_ATTRIBUTES,
    IdentityInput,
    MemberInput,
    MemberPatch,
    MemberTokenInput,
    MergeInput,
)
from api.report import report_intrinsic
from api.validation import read_input
from errors import Conflict, InvalidInput, NotFound
from mapping.identity import normalise_identity
from pipeline.parked import release_parked
from storage import members as store


def _member_id(request: Request) -> int:
    return path_id(request, "member_id", "member", code="unknown_member")


def member_json(row: dict[str, Any]) -> dict[str, Any]:
    """A member as the API shows it, from storage.members.member_with_balance / list_members."""
    return {
        "id": row["id"],
        "identities": row.get("identities") or [{"kind": row["kind"], "value": row["value"]}],
        "attributes": row["attributes"] or {},
        "registeredAt": row["registered_at"],
        "createdAt": row["created_at"],
        "createdByConnector": row["created_by_connector"],
        "test": row["test"],
        "mergedInto": row.get("merged_into"),  # set: this member was merged into that one
        "balance": row["balance"] or 0,
        "lifetimePoints": row["lifetime"] or 0,
    }


def _found(row: dict[str, Any] | None, member_id: int) -> dict[str, Any]:
    if row is None:
        raise NotFound(f"no member {member_id}", code="unknown_member")
    return row


async def active_member(conn: Any, member_id: int) -> dict[str, Any]:
    """The member's row, for acting on it: unknown is a 404, merged into another a 409."""
    row = _found(await store.member_with_balance(conn, member_id), member_id)
    if row.get("merged_into"):
        raise Conflict(
            f"member {member_id} was merged into member {row['merged_into']}: use that one",
            code="member_merged",
        )
    return row


def _identities(identities: list[IdentityInput]) -> list[tuple[str, str]]:
    parsed = [_identity(identity, f"identities[{i}]") for i, identity in enumerate(identities)]
    if len(set(parsed)) < len(parsed):
        raise InvalidInput("identities: the same identity is given twice", code="invalid_member")
    return parsed


def _identity(identity: IdentityInput, where: str) -> tuple[str, str]:
    kind, value = normalise_identity(identity.kind, identity.value)
    if kind == store.ERASED_KIND:
        raise InvalidInput(f"{where}.kind: {kind!r} is kept for erased members", code="invalid_member")
    return kind, value


async def register_member(request: Request) -> Response:
    member = read_input(MemberInput, await read_json(request), code="invalid_member")
    identities = _identities(member.identities)
    kind, value = identities[0]
    attributes = dict(member.attributes)
    db = db_of(request)
    now = datetime.now(UTC)
    async with db.write() as conn:
        row, already = await store.register(conn, kind, value, attributes, now)
        if already:
            raise Conflict(
                f"identities[0]: {kind}:{value} is already member {row['id']}; PATCH "
                f"/api/members/{row['id']} to change it",
                code="member_exists",
            )
        for index, (other_kind, other_value) in enumerate(identities[1:], start=1):
            await _attach(conn, row, other_kind, other_value, now, f"identities[{index}]")
    # After the registration committed: the welcome bonus is an event like any other, and the
    # events parked until this person became a member are released.
    welcome = await report_intrinsic(request, "REGISTERED_ACCOUNT", row["id"], kind, value, now)
    released = await release_parked(db, settings_of(request))
    async with db.read() as conn:
        fresh = _found(await store.member_with_balance(conn, row["id"]), row["id"])
    body = {**member_json(fresh), "registration": welcome, "released": len(released)}
    return JSON(body, status_code=201)


async def get_member(request: Request) -> Response:
    member_id = _member_id(request)
    async with db_of(request).read() as conn:
        row = _found(await store.member_with_balance(conn, member_id), member_id)
    return JSON(member_json(row))


async def list_members(request: Request) -> Response:
    limit = int_param(request, "limit", 50, minimum=1, maximum=500)
    before = request.query_params.get("before")
    attribute = None
    raw = request.query_params.get("attribute")
    if raw:
        check_text("attribute", raw)
        name, colon, value = raw.partition(":")
        if not colon or not ATTRIBUTE_NAME.match(name):
            raise InvalidInput(
                f"attribute: {raw!r} must be name:value, e.g. ?attribute=tier:gold", code="invalid_parameter"
            )
        attribute = (name, value)
    prefix = request.query_params.get("identity") or None
    kind = request.query_params.get("kind") or None
    for name, text in (("identity", prefix), ("kind", kind)):
        if text is not None:
            check_text(name, text)
    async with db_of(request).read() as conn:
        rows = await store.list_members(
            conn,
            prefix=prefix.strip() if prefix else None,
            kind=kind.strip().lower() if kind else None,
            attribute=attribute,
            registered=bool_param(request, "registered"),
            limit=limit,
            before=int_param(request, "before", 0, minimum=1, maximum=MAX_ID) if before else None,
        )
    items = [member_json(r) for r in rows]
    return JSON(page(items, limit))


async def update_member(request: Request) -> Response:
    member_id = _member_id(request)
    changes = read_input(MemberPatch, await read_json(request), code="invalid_member").attributes
    async with db_of(request).write() as conn:
        row = _found(await store.member_with_balance(conn, member_id), member_id)
        merged = {**(row["attributes"] or {}), **changes}
        merged = {k: v for k, v in merged.items() if v is not None}
        if len(merged) > MAX_ATTRIBUTES:
            raise InvalidInput(
                f"attributes: {len(merged)} in all, at most {MAX_ATTRIBUTES}", code="invalid_member"
            )
        await store.set_attributes(conn, member_id, merged)
    return JSON(member_json({**row, "attributes": merged}))


def _token_json(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    status = "revoked" if row["revoked_at"] else "expired" if row["expires_at"] <= now else "active"
    return {
        "id": row["id"],
        "memberId": row["profile_id"],
        "createdAt": row["created_at"],
        "expiresAt": row["expires_at"],
        "revokedAt": row["revoked_at"],
        "status": status,
    }


async def issue_token(request: Request) -> Response:
    member_id = _member_id(request)
    wanted = read_input(MemberTokenInput, await read_json_or_empty(request), code="invalid_member_token")
    seconds = wanted.expires_in_seconds or settings_of(request).member_token_days * 86_400
    now = datetime.now(UTC)
    token_id = new_token_id()
    row: dict[str, Any] = {
        "id": token_id,
        "profile_id": member_id,
        "created_at": now,
        "expires_at": now + timedelta(seconds=seconds),
        "revoked_at": None,
    }
    async with db_of(request).write() as conn:
        _found(await store.member_by_id(conn, member_id), member_id)
        await store.insert_token(conn, row)
    # The token itself is shown once, here; only its id is kept.
    return JSON({**_token_json(row, now), "token": token_for(token_id)}, status_code=201)


async def list_tokens(request: Request) -> Response:
    member_id = _member_id(request)
    now = datetime.now(UTC)
    async with db_of(request).read() as conn:
        _found(await store.member_by_id(conn, member_id), member_id)
        rows = await store.list_tokens(conn, member_id)
    return JSON({"items": [_token_json(r, now) for r in rows]})


async def revoke_token(request: Request) -> Response:
    member_id = _member_id(request)
    token_id = request.path_params["token_id"]
    check_text("token id", token_id)
    async with db_of(request).write() as conn:
        _found(await store.member_by_id(conn, member_id), member_id)
        if not await store.revoke_token(conn, member_id, token_id, datetime.now(UTC)):
            raise NotFound(f"member {member_id} has no token {token_id[:64]!r}", code="unknown_member_token")
    return Response(status_code=204)


async def _attach(
    conn: Any, member: dict[str, Any], kind: str, value: str, now: datetime, where: str
) -> None:
    """Give the member one more identity. A profile that events created under it (not a
    registered member) is merged in, points and all; another member's identity is a 409."""
    if await store.add_alias(conn, int(member["id"]), kind, value, now):
        return
    found = await store.member_by_identity(conn, kind, value, lock=False)  # locked below, in id order
    assert found is not None
    owner = int(found["merged_into"] or found["id"])
    if owner == member["id"]:
        return
    locked = await store.lock_members(conn, [int(member["id"]), owner])
    other = locked[owner]
    if other["registered_at"] is not None:
        raise Conflict(
            f"{where}: {kind}:{value} is member {owner}'s; to make one member of the two, POST "
            f'/api/members/{member["id"]}/merge with {{"memberId": {owner}}}',
            code="member_exists",
        )
    await store.merge(conn, locked[int(member["id"])], other, now)


async def add_identity(request: Request) -> Response:
    member_id = _member_id(request)
    kind, value = _identity(
        read_input(IdentityInput, await read_json(request), code="invalid_member"), "body"
    )
    now = datetime.now(UTC)
    async with db_of(request).write() as conn:
        member = _found(await store.member_by_id(conn, member_id), member_id)
        _not_alias(member)
        await _attach(conn, member, kind, value, now, "body")
    released = await release_parked(db_of(request), settings_of(request))
    async with db_of(request).read() as conn:
        row = _found(await store.member_with_balance(conn, member_id), member_id)
    return JSON({**member_json(row), "released": len(released)}, status_code=201)


def _not_alias(member: dict[str, Any]) -> None:
    if member["merged_into"] is not None:
        raise Conflict(
            f"member {member['id']} was merged into member {member['merged_into']}; use that one",
            code="member_merged",
        )


async def merge_members(request: Request) -> Response:
    """Make one member of two: everything of `memberId` moves to this member, whose balance is
    then the sum of both; `memberId`'s identities become this member's."""
    member_id = _member_id(request)
    other_id = read_input(MergeInput, await read_json(request), code="invalid_member").member_id
    if other_id == member_id:
        raise InvalidInput(f"memberId: {other_id} is this member; give another", code="invalid_member")
    now = datetime.now(UTC)
    async with db_of(request).write() as conn:
        locked = await store.lock_members(conn, [member_id, other_id])
        into = _found(locked.get(member_id), member_id)
        other = locked.get(other_id)
        if other is None:
            raise NotFound(f"memberId: no member {other_id}", code="unknown_member")
        _not_alias(into)
        _not_alias(other)
        moved = await store.merge(conn, into, other, now)
        row = _found(await store.member_with_balance(conn, member_id), member_id)
    return JSON({**member_json(row), "merged": {"memberId": other_id, **moved}})


async def erase_member(request: Request) -> Response:
    """A GDPR erasure: the member's personal data goes; the ledger's amounts stay, anonymous."""
    member_id = _member_id(request)
    now = datetime.now(UTC)
    async with db_of(request).write() as conn:
        member = _found((await store.lock_members(conn, [member_id])).get(member_id), member_id)
        _not_alias(member)
        if member["kind"] == store.ERASED_KIND:
            raise Conflict(f"member {member_id} is already erased", code="member_erased")
        erased = await store.erase(conn, member, now)
        row = _found(await store.member_with_balance(conn, member_id), member_id)
    return JSON({**member_json(row), "erased": erased})


async def release_parked_events(request: Request) -> Response:
    """Release now the parked events whose member exists (the sweep does it every minute too)."""
    results = await release_parked(db_of(request), settings_of(request))
    return JSON({"released": len(results), "results": results})
