"""Admin API for connectors and their credentials (tokens and secrets, rotated by adding and revoking)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import event_types
from api.http import JSON, db_of, read_json, read_json_or_empty, settings_of
from api.models.base import sent
from api.models.connectors import ConnectorInput, ConnectorPatch, CredentialInput
from api.validation import read_input
from connectors.auth import check_secret, describe, generate_secret, parse_auth_settings, to_json
from connectors.model import new_connector_id, new_credential_id, secret_warnings
from errors import Conflict, InvalidInput, NotFound
from mapping import CompiledMapping, compile_cached
from pipeline.sample_check import check_samples, refresh_expected
from settings import Settings
from storage import connectors as store
from storage.database import Connection
from storage.event_types import get_event_type
from storage.purge import purge_test_data


def connector_json(row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    auth = parse_auth_settings(row["auth"])
    return {
        "id": row["id"],
        "name": row["name"],
        "url": f"{settings.base_url}/ingest/{row['id']}",
        "auth": describe(auth),
        "mapping": row["mapping"],
        "mappingVersion": row["mapping_version"],
        "eventType": row["event_type"],
        "mode": row["mode"],
        "status": row["status"],
        "createProfiles": row["create_profiles"],
        "allowedOrigins": row["allowed_origins"],
        "allowGet": row["allow_get"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }


def mask(value: str) -> str:
    """The start of a secret, to tell credentials apart: at most a quarter of it, never more
    than 4 characters (an 8-character secret once showed 6)."""
    shown = min(4, len(value) // 4)
    return value[:shown] + "…"


def credential_json(
    row: dict[str, Any], *, reveal: bool, warnings: list[str] | None = None
) -> dict[str, Any]:
    value = row["value"]
    body = {
        "id": row["id"],
        "test": row["test"],
        "createdAt": row["created_at"],
        "revokedAt": row.get("revoked_at"),
        # Shown in full once, when created; afterwards only enough to tell them apart.
        "value": value if reveal else mask(value),
    }
    if warnings:
        body["warnings"] = warnings
    return body


@contextmanager
def _mistakes_as(code: str) -> Iterator[None]:
    """One code per kind of mistake: a connector's input is `invalid_connector` and a
    credential's `invalid_credential`, whichever part found it (the auth parser and the secret
    checks are shared, and raise `invalid_input` or `invalid_connector`)."""
    try:
        yield
    except InvalidInput as exc:
        if exc.code not in ("invalid_input", "invalid_connector"):
            raise
        raise InvalidInput(exc.message, code=code, details=exc.details) from None


async def _validate(conn: Connection, values: dict[str, Any], settings: Settings) -> None:
    if "auth" in values:
        with _mistakes_as("invalid_connector"):
            values["auth"] = to_json(parse_auth_settings(values["auth"]))
    if "mapping" in values:
        CompiledMapping.compile(values["mapping"], **settings.mapping_bounds)
    known = "event_type" in values and await get_event_type(conn, values["event_type"], share_lock=True)
    if "event_type" in values and not known:
        raise InvalidInput(
            f"eventType: {values['event_type']!r} is not a known event type; see GET /api/event-types",
            code="invalid_connector",
        )
    if known and known["reporting"] == event_types.INTRINSIC:
        raise InvalidInput(
            f"eventType: {values['event_type']!r} is reported by Inbound itself; a connector cannot send it",
            code="invalid_connector",
        )


async def _get_or_404(conn: Connection, connector_id: str) -> dict[str, Any]:
    row = await store.get_connector(conn, connector_id)
    if row is None:
        raise NotFound(f"no connector {connector_id!r}", code="unknown_connector")
    return row


async def create_connector_record(
    conn: Connection, data: Any, settings: Settings, *, connector_id: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Validate and store a connector with its first credential(s); used by the API and the demo."""
    connector = read_input(ConnectorInput, data, code="invalid_connector")
    values = connector.settings()
    supplied = connector.credentials()
    now = datetime.now(UTC)
    await _validate(conn, values, settings)
    row = {
        **values,
        "id": connector_id or new_connector_id(),
        "mapping_version": 1,
        "created_at": now,
        "updated_at": now,
    }
    await store.insert_connector(conn, row)
    auth = parse_auth_settings(row["auth"])
    created = []
    for field, test in (("secret", False), ("testSecret", True)):
        if field not in supplied:
            continue
        value = supplied[field]
        warnings: list[str] = []
        if value is not None:
            warnings = secret_warnings(field, value)
            with _mistakes_as("invalid_connector"):
                check_secret(auth, value)
        else:
            with _mistakes_as("invalid_connector"):  # a public key cannot be made up
                value = generate_secret(auth)
        cred = {
            "id": new_credential_id(),
            "connector_id": row["id"],
            "value": value,
            "test": test,
            "created_at": now,
        }
        await store.insert_credential(conn, cred)
        created.append(credential_json(cred, reveal=True, warnings=warnings))
    return row, created


async def create_connector(request: Request) -> Response:
    data = await read_json(request)
    settings = settings_of(request)
    async with db_of(request).write() as conn:
        row, created = await create_connector_record(conn, data, settings)
    body = connector_json(row, settings)
    body["credentials"] = created
    return JSON(body, status_code=201, headers={"Location": f"/api/connectors/{row['id']}"})


async def list_connectors(request: Request) -> Response:
    async with db_of(request).read() as conn:
        rows = await store.list_connectors(conn)
    settings = settings_of(request)
    return JSON({"items": [connector_json(r, settings) for r in rows]})


async def get_connector(request: Request) -> Response:
    async with db_of(request).read() as conn:
        row = await _get_or_404(conn, request.path_params["connector_id"])
        creds = await store.list_credentials(conn, row["id"], active_only=False)
    body = connector_json(row, settings_of(request))
    body["credentials"] = [credential_json(c, reveal=False) for c in creds]
    return JSON(body)


async def update_connector(request: Request) -> Response:
    patch = read_input(ConnectorPatch, await read_json(request), code="invalid_connector")
    values = sent(patch)
    accept = values.pop("accept_sample_changes", False)
    settings = settings_of(request)
    async with db_of(request).write() as conn:
        current = await _get_or_404(conn, request.path_params["connector_id"])
        await _validate(conn, values, settings)
        checks: list[dict[str, Any]] = []
        if "mapping" in values and values["mapping"] != current["mapping"]:
            # Samples are the connector's regression cases: a mapping that moves one needs consent.
            new_mapping = compile_cached(values["mapping"], **settings.mapping_bounds)
            checks = await check_samples(conn, {**current, **values}, new_mapping)
            changed = [c for c in checks if c["changed"]]
            if changed and not accept:
                names = ", ".join(repr(c["name"]) for c in changed)
                raise Conflict(
                    f"mapping: the new mapping changes the output of {len(changed)} sample(s): {names};"
                    ' send "acceptSampleChanges": true to save it anyway',
                    code="samples_changed",
                    details={"samples": changed},
                )
        row = await store.update_connector(
            conn, request.path_params["connector_id"], values, datetime.now(UTC)
        )
        await refresh_expected(conn, checks, row["mapping_version"])
    return JSON(connector_json(row, settings))


async def set_status(request: Request, status: str) -> Response:
    async with db_of(request).write() as conn:
        await _get_or_404(conn, request.path_params["connector_id"])
        row = await store.update_connector(
            conn, request.path_params["connector_id"], {"status": status}, datetime.now(UTC)
        )
    return JSON(connector_json(row, settings_of(request)))


async def disable_connector(request: Request) -> Response:
    return await set_status(request, "disabled")


async def enable_connector(request: Request) -> Response:
    return await set_status(request, "active")


async def delete_connector(request: Request) -> Response:
    """Its test data goes with it (nothing could purge it later); live data stays, immutable."""
    connector_id = request.path_params["connector_id"]
    async with db_of(request).write() as conn:
        await _get_or_404(conn, connector_id)
        await purge_test_data(conn, connector_id, datetime.now(UTC))
        await store.delete_connector(conn, connector_id)
    return Response(status_code=204)


async def list_mapping_versions(request: Request) -> Response:
    async with db_of(request).read() as conn:
        await _get_or_404(conn, request.path_params["connector_id"])
        rows = await store.list_mapping_versions(conn, request.path_params["connector_id"])
    return JSON(
        {
            "items": [
                {"version": r["version"], "mapping": r["expression"], "createdAt": r["created_at"]}
                for r in rows
            ]
        }
    )


async def add_credential(request: Request) -> Response:
    wanted = read_input(CredentialInput, await read_json_or_empty(request), code="invalid_credential")
    async with db_of(request).write() as conn:
        row = await _get_or_404(conn, request.path_params["connector_id"])
        auth = parse_auth_settings(row["auth"])
        warnings: list[str] = []
        if wanted.value is not None:
            value = wanted.value
            with _mistakes_as("invalid_credential"):
                check_secret(auth, value)
            warnings = secret_warnings("value", value)
        else:
            with _mistakes_as("invalid_credential"):
                value = generate_secret(auth)
        cred = {
            "id": new_credential_id(),
            "connector_id": row["id"],
            "value": value,
            "test": wanted.test,
            "created_at": datetime.now(UTC),
        }
        await store.insert_credential(conn, cred)
    return JSON(credential_json(cred, reveal=True, warnings=warnings), status_code=201)


async def list_credentials(request: Request) -> Response:
    async with db_of(request).read() as conn:
        await _get_or_404(conn, request.path_params["connector_id"])
        rows = await store.list_credentials(conn, request.path_params["connector_id"], active_only=False)
    return JSON({"items": [credential_json(r, reveal=False) for r in rows]})


async def revoke_credential(request: Request) -> Response:
    connector_id, credential_id = request.path_params["connector_id"], request.path_params["credential_id"]
    async with db_of(request).write() as conn:
        await _get_or_404(conn, connector_id)
        if not await store.revoke_credential(conn, connector_id, credential_id, datetime.now(UTC)):
            raise NotFound(f"no active credential {credential_id!r} on connector {connector_id!r}")
    return Response(status_code=204)
