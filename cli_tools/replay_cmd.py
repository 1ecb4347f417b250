"""`inbound replay CONNECTOR_ID`: preview (or `--apply`) a replay through the admin API, page by page.

Each call replays at most `--page-size` raw events; the command follows `nextAfter` until the
service says there is no more, showing progress on stderr, and prints one summary on stdout:
the points gained or lost per profile and the counts. See docs/cli.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

import httpx

from api.models.trials import MAX_REPLAY_LIMIT as MAX_LIMIT
from api.models.trials import REPLAY_CHOICES as CHOICES
from cli_tools.progress import Progress
from cli_tools.send_auth import admin_token
from errors import InvalidInput
from settings import Settings

DEFAULT_STATUSES = "failed,rejected,ignored"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "replay",
        help="preview (or --apply) a replay of a connector's kept events through the admin API",
        description="Replay a connector's kept raw events with its current mapping and rules: a preview "
        "by default (nothing is kept), --apply to do it. Pages through the admin API with progress on "
        "stderr; prints the points gained or lost per profile. Exit 0 on success, 1 if the service "
        "failed part way, 2 on a usage error.",
    )
    p.add_argument("connector_id", metavar="CONNECTOR_ID", help="the connector, e.g. con_…")
    p.add_argument("--since", help="received at or after this ISO 8601 time")
    p.add_argument("--until", help="received before this ISO 8601 time")
    p.add_argument(
        "--status",
        default=DEFAULT_STATUSES,
        help=f"current statuses to replay, comma-separated (default {DEFAULT_STATUSES}; "
        f"any of {', '.join(CHOICES)})",
    )
    p.add_argument("--apply", action="store_true", help="do it (default: preview, nothing is kept)")
    p.add_argument("--url", default=None, help="the service, default http://INBOUND_HOST:INBOUND_PORT")
    p.add_argument("--admin-token", help="default: INBOUND_ADMIN_TOKEN, then .inbound/admin-token")
    p.add_argument(
        "--page-size", type=int, default=500, metavar="N", help=f"raw events per call (1 to {MAX_LIMIT})"
    )
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per call (default 300)")
    p.set_defaults(run=run, needs_admin_token=False)


def _time(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{option}: {value!r} is not an ISO 8601 time such as 2026-11-20T10:15:00Z"
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()


def _statuses(value: str) -> list[str]:
    statuses = [s.strip() for s in value.split(",") if s.strip()]
    if not statuses:
        raise InvalidInput(f"--status: {value!r} names no status; use some of {', '.join(CHOICES)}")
    for status in statuses:
        if status not in CHOICES:
            raise InvalidInput(f"--status: {status!r} is not one of {', '.join(CHOICES)}")
    return statuses


def _request_body(args: argparse.Namespace) -> dict[str, Any]:
    if not 1 <= args.page_size <= MAX_LIMIT:
        raise InvalidInput(f"--page-size: {args.page_size} must be from 1 to {MAX_LIMIT}")
    since, until = _time(args.since, "--since"), _time(args.until, "--until")
    if since is not None and until is not None and since >= until:
        raise InvalidInput(f"--until: {args.until!r} must be after --since {args.since!r}")
    body: dict[str, Any] = {"statuses": _statuses(args.status), "apply": args.apply, "limit": args.page_size}
    body.update({k: v for k, v in (("since", since), ("until", until)) if v is not None})
    return body


class _Totals:
    """The pages' answers added up: counts, and per profile the points gained or lost."""

    def __init__(self) -> None:
        self.pages = 0
        self.counts: dict[str, int] = {"rawEvents": 0, "events": 0, "stored": 0, "unchanged": 0}
        self.statuses: dict[str, int] = {}
        self.profiles: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.admin_log_ids: list[int] = []

    def add(self, page: dict[str, Any]) -> None:
        self.pages += 1
        counts = page.get("counts") or {}
        for name in self.counts:
            self.counts[name] += int(counts.get(name) or 0)
        for status, n in (counts.get("statuses") or {}).items():
            self.statuses[status] = self.statuses.get(status, 0) + int(n)
        for change in page.get("changes") or []:
            key = (change.get("kind"), change.get("value"), bool(change.get("test")))
            line = self.profiles.setdefault(
                key,
                {
                    "profileId": change.get("profileId"),
                    "kind": change.get("kind"),
                    "value": change.get("value"),
                    "test": bool(change.get("test")),
                    "newProfile": bool(change.get("newProfile")),
                    "pointsBefore": change.get("pointsBefore"),
                    "delta": 0,
                },
            )
            line["delta"] += int(change.get("delta") or 0)
            line["pointsAfter"] = (line["pointsBefore"] or 0) + line["delta"]
        if isinstance(page.get("adminLogId"), int):
            self.admin_log_ids.append(page["adminLogId"])

    def summary(self, applied: bool, complete: bool) -> dict[str, Any]:
        changes = sorted(
            (c for c in self.profiles.values() if c["delta"]),
            key=lambda c: (str(c["kind"]), str(c["value"]), c["test"]),
        )
        body: dict[str, Any] = {
            "applied": applied,
            "complete": complete,
            "pages": self.pages,
            **self.counts,
            "statuses": dict(sorted(self.statuses.items())),
            "pointsGained": sum(c["delta"] for c in changes if c["delta"] > 0),
            "pointsLost": -sum(c["delta"] for c in changes if c["delta"] < 0),
            "pointsDelta": sum(c["delta"] for c in changes),
            "changes": changes,
        }
        if applied:
            body["adminLogIds"] = self.admin_log_ids
        return body


def _base_url(args: argparse.Namespace, settings: Settings) -> str:
    url = args.url or f"http://{settings.host}:{settings.port}"
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"--url: {url!r} is not an http(s) URL such as http://127.0.0.1:8000")
    return url.rstrip("/")


def _refusal(response: httpx.Response) -> str:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    return f"{error.get('code', 'error')}: {error.get('message', response.text[:200])}"


def run(args: argparse.Namespace, settings: Settings) -> int:
    body = _request_body(args)
    base = _base_url(args, settings)
    token = admin_token(args.admin_token)
    if token is None:
        raise InvalidInput("replay: give --admin-token (or INBOUND_ADMIN_TOKEN, or .inbound/admin-token)")
    url = f"{base}/api/connectors/{args.connector_id}/replay"
    verb = "replayed" if args.apply else "previewed"
    progress = Progress(None, sys.stderr, verb=verb, noun="raw events")
    totals = _Totals()
    complete = False
    code = 0
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=args.timeout) as client:
        while True:
            try:
                response = client.post(url, json=body)
            except httpx.HTTPError as exc:
                print(f"inbound replay: cannot reach {base}: {exc}", file=sys.stderr)
                code = 1
                break
            if not response.is_success:
                code = _failed(response, first=totals.pages == 0, connector_id=args.connector_id)
                break
            page = response.json()
            totals.add(page)
            progress.update(totals.counts["rawEvents"], f" ({totals.pages} page(s))")
            if not page.get("more"):
                complete = True
                break
            body["after"] = page["nextAfter"]
    progress.finish(totals.counts["rawEvents"], f" ({totals.pages} page(s))")
    print(json.dumps(totals.summary(args.apply, complete), indent=2, ensure_ascii=False))
    return code


def _failed(response: httpx.Response, *, first: bool, connector_id: str) -> int:
    """A refusal of the first call is a usage error (2): a wrong token, connector or option."""
    message = _refusal(response)
    if response.status_code in (401, 403):
        print(f"inbound replay: --admin-token: the service answered {response.status_code}", file=sys.stderr)
    elif response.status_code == 404:
        print(f"inbound replay: CONNECTOR_ID: {connector_id!r}: {message}", file=sys.stderr)
    else:
        print(f"inbound replay: HTTP {response.status_code}: {message}", file=sys.stderr)
    return 2 if first and response.status_code < 500 else 1
