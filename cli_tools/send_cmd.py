"""`inbound send CONNECTOR_URL PAYLOAD`: sign and send a payload exactly as the connector expects.

The auth method comes from `--auth`, `--preset` or `--method`, or from the connector itself
through the admin API; the signature is made by `connectors.auth.sign`, the code the service
checks with. `--each FILE` sends a file of events one request at a time (see cli_tools.bulk).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import httpx

from cli_tools.bulk import read_items, send_all
from cli_tools.inputs import content_type_for, header_lines, pairs, read_bytes, read_text
from cli_tools.send_auth import parse_target, resolve_auth, secret_of
from cli_tools.sender import Sender
from connectors.auth import PRESETS
from errors import InvalidInput
from settings import Settings


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "send",
        help="sign and send a payload (or a file of events) to a connector URL",
        description="Sign PAYLOAD (a file, or - for stdin) as the connector's auth method expects and "
        "POST it to CONNECTOR_URL. Prints the response; exit 0 on a 2xx answer, 1 otherwise.",
    )
    p.add_argument("url", metavar="CONNECTOR_URL", help="the connector's url, e.g. http://host/ingest/con_…")
    p.add_argument("payload", nargs="?", metavar="PAYLOAD", help="the body to send (- for stdin)")
    how = p.add_argument_group("how to sign (default: read from the connector with the admin token)")
    how.add_argument(
        "--auth", help='the auth object, e.g. \'{"method": "hub_signature", "preset": "stripe"}\''
    )
    how.add_argument("--preset", choices=sorted(PRESETS), help="a hub_signature preset")
    how.add_argument("--method", choices=("query_token", "header_token", "hub_signature"))
    how.add_argument("--param", help="query_token: the query parameter")
    how.add_argument("--header", help="header_token or hub_signature: the header")
    how.add_argument("--scheme", help="header_token: the scheme, e.g. Bearer")
    how.add_argument("--admin-token", help="default: INBOUND_ADMIN_TOKEN, then .inbound/admin-token")
    p.add_argument("--secret", help="the connector's token or secret (or INBOUND_SEND_SECRET)")
    p.add_argument("--secret-file", help="read the secret from a file, keeping it out of the process list")
    p.add_argument("--content-type", help="default: application/json (x-ndjson for .ndjson files)")
    p.add_argument("-H", "--request-header", action="append", metavar="'NAME: VALUE'", help="an extra header")
    p.add_argument("--query", action="append", metavar="K=V", help="an extra query parameter")
    bulk = p.add_argument_group("bulk")
    bulk.add_argument("--each", metavar="FILE", help="send each event of an NDJSON (or JSON array) file")
    bulk.add_argument(
        "--split", action="store_true", help="PAYLOAD is a JSON array: send its events one by one"
    )
    bulk.add_argument("--batch-size", type=int, default=1, metavar="N", help="events per request (default 1)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    p.set_defaults(run=run, needs_admin_token=False)


def _bulk_items(args: argparse.Namespace) -> list[str] | None:
    if args.batch_size < 1:
        raise InvalidInput(f"--batch-size: {args.batch_size} must be at least 1")
    if args.each is not None:
        if args.payload is not None:
            raise InvalidInput("send: give PAYLOAD or --each FILE, not both")
        return read_items(read_text(args.each, "--each"), args.each, split=False)
    if args.split:
        if args.payload is None:
            raise InvalidInput("send: --split needs PAYLOAD, a JSON array file")
        return read_items(read_text(args.payload, "PAYLOAD"), args.payload, split=True)
    if args.payload is None:
        raise InvalidInput("send: PAYLOAD is required (a file, or - for stdin), or --each FILE")
    return None


def run(args: argparse.Namespace, settings: Settings) -> int:
    target = parse_target(args.url)
    items = _bulk_items(args)
    body = read_bytes(args.payload, "PAYLOAD") if items is None else b""
    with httpx.Client(timeout=args.timeout) as client:
        sender = Sender(
            client,
            target,
            resolve_auth(args, target, client),
            secret_of(args),
            headers=header_lines(args.request_header, "--request-header"),
            query=pairs(args.query, "--query"),
        )
        if items is not None:
            content_type = args.content_type or "application/json"
            return send_all(sender, items, batch_size=args.batch_size, content_type=content_type)
        try:
            response = sender.post(body, content_type_for(args.payload, args.content_type))
        except httpx.HTTPError as exc:
            print(f"inbound send: cannot reach {target.url}: {exc}", file=sys.stderr)
            return 1
    _print_response(response)
    return 0 if response.is_success else 1


def _print_response(response: httpx.Response) -> None:
    try:
        print(json.dumps(response.json(), indent=2, ensure_ascii=False))
    except ValueError:
        print(response.text)
    if not response.is_success:
        print(f"inbound send: HTTP {response.status_code}", file=sys.stderr)
