"""Which auth method `inbound send` signs for: given on the command line, or read from the connector.

The admin API masks secrets, so only the method and its settings can be fetched; the secret
always comes from the user (`--secret` or `--secret-file`).
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from cli_tools.inputs import read_text
from connectors.auth import AuthSettings, parse_auth_settings
from errors import InvalidInput
from settings import ADMIN_TOKEN_FILE


@dataclass(frozen=True)
class Target:
    """A connector URL split into what `send` needs: where to post, and where the admin API is."""

    url: str  # without the query string; signing may add to it
    query: dict[str, str]
    base: str
    connector_id: str


def parse_target(url: str) -> Target:
    parts = urlsplit(url)
    marker = "/ingest/"
    if parts.scheme not in ("http", "https") or marker not in parts.path:
        raise InvalidInput(f"CONNECTOR_URL: {url!r} is not a connector URL such as http://host/ingest/con_…")
    prefix, _, rest = parts.path.partition(marker)
    connector_id = rest.strip("/")
    if not connector_id or "/" in connector_id:
        raise InvalidInput(f"CONNECTOR_URL: {url!r} does not end with a connector id")
    query = dict(httpx.QueryParams(parts.query))
    return Target(
        url=urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
        query=query,
        base=urlunsplit((parts.scheme, parts.netloc, prefix, "", "")),
        connector_id=connector_id,
    )


def admin_token(given: str | None) -> str | None:
    """--admin-token, else INBOUND_ADMIN_TOKEN, else .inbound/admin-token (read, never created)."""
    if given:
        return given
    if os.environ.get("INBOUND_ADMIN_TOKEN"):
        return os.environ["INBOUND_ADMIN_TOKEN"]
    if ADMIN_TOKEN_FILE.exists():
        return ADMIN_TOKEN_FILE.read_text().strip() or None
    return None


def _from_options(args: argparse.Namespace) -> dict[str, object] | None:
    if args.auth is not None:
        try:
            data = json.loads(args.auth)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"--auth: not valid JSON ({exc.msg} at character {exc.pos})") from None
        return data if isinstance(data, dict) else {"method": data}
    if args.preset is not None:
        return {"method": "hub_signature", "preset": args.preset}
    if args.method is not None:
        fields = {"param": args.param, "header": args.header, "scheme": args.scheme}
        return {"method": args.method, **{k: v for k, v in fields.items() if v is not None}}
    return None


def resolve_auth(args: argparse.Namespace, target: Target, client: httpx.Client) -> AuthSettings:
    """--auth, --preset or --method; otherwise the connector's settings from the admin API."""
    given = _from_options(args)
    if given is not None:
        return parse_auth_settings(given)
    token = admin_token(args.admin_token)
    if token is None:
        raise InvalidInput(
            "send: say how to sign with --auth, --preset or --method, or give --admin-token "
            "(or INBOUND_ADMIN_TOKEN, or .inbound/admin-token) to read it from the connector"
        )
    url = f"{target.base}/api/connectors/{target.connector_id}"
    try:
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        raise InvalidInput(f"send: cannot read the connector's auth from {url}: {exc}") from None
    if response.status_code != 200:
        raise InvalidInput(f"send: GET {url} answered {response.status_code}: {_error_text(response)}")
    return parse_auth_settings(response.json()["auth"])


def secret_of(args: argparse.Namespace) -> str:
    if args.secret is not None and args.secret_file is not None:
        raise InvalidInput("send: give --secret or --secret-file, not both")
    if args.secret_file is not None:
        secret = read_text(args.secret_file, "--secret-file").strip()
    else:
        secret = args.secret or os.environ.get("INBOUND_SEND_SECRET", "")
    if not secret:
        raise InvalidInput(
            "send: --secret is required (the API shows secrets masked, so it cannot be fetched); "
            "--secret-file or INBOUND_SEND_SECRET work too"
        )
    return secret


def _error_text(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]
