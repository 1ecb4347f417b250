"""The `inbound` command in-process: map (locally), send (to the real server), check (the database)."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cli import main
from storage.database import Database
from storage.migrate import migrate
from storage.tables import Balance, Profile
from tests.conftest import ADMIN_TOKEN, Server
from tests.helpers import create_connector, unique_email

MAPPING = """{
  "clientEventId": id,
  "profile": {"value": email},
  "payload": {"counters": [{"name": "total", "value": total}]}
}"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def pointed_at(err: str) -> tuple[str, int]:
    """The source line printed above the caret, and the caret's column in it."""
    lines = err.splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip() == "^")
    return lines[index - 1], lines[index].index("^")


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# --- inbound map ---------------------------------------------------------------------------


def test_map_prints_the_mapped_events(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = write(tmp_path, "m.jsonata", MAPPING)
    payload = write(tmp_path, "p.json", '{"id": 5823419871293, "email": "Ann@Example.com", "total": 59.9}')
    code, out, err = run(capsys, "map", mapping, payload)
    assert (code, err) == (0, "")
    assert json.loads(out) == [
        {
            "clientEventId": "5823419871293",
            # Normalised as the profile is looked up (docs/mapping.md, "What is stored").
            "profile": {"kind": "default", "value": "ann@example.com"},
            "payload": {"tags": [], "counters": [{"name": "total", "value": 59.9}]},
        }
    ]


def test_map_reads_the_payload_from_stdin_and_binds_headers_and_query(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"email": "ben@example.com"}')))
    expr = '{"profile": {"value": email}, "payload": {"tags": [{"name": "site", "value": $headers."x-site"}, '
    expr += '{"name": "campaign", "value": $query.campaign}]}}'
    code, out, _ = run(
        capsys, "map", "--expr", expr, "-", "--headers", "X-Site=shop", "--query", "campaign=w"
    )
    assert code == 0
    assert json.loads(out)[0]["payload"]["tags"] == [
        {"name": "site", "value": "shop"},
        {"name": "campaign", "value": "w"},
    ]


def test_map_syntax_error_shows_a_caret_under_the_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = write(tmp_path, "m.jsonata", '{\n  "clientEventId": id,\n  "profile": {"value": email "x"}\n}')
    payload = write(tmp_path, "p.json", "{}")
    code, out, err = run(capsys, "map", mapping, payload)
    assert code == 1 and out == ""
    assert "mapping_syntax_error" in err and "position" in err
    line, column = pointed_at(err)
    assert line.startswith("  3 | ")  # the line number of the expression
    assert line[column - 2 : column + 1] == '"x"'  # the caret is under the unexpected token


def test_map_shape_error_names_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = write(tmp_path, "p.json", '{"id": "a", "email": "a@example.com", "total": "12"}')
    code, out, err = run(capsys, "map", "--expr", MAPPING, payload)
    assert code == 1 and json.loads(out) == []
    assert "mapping_shape_error" in err and 'payload.counters[0].value: expected a number, got "12"' in err


def test_map_a_batch_maps_each_item_and_reports_the_failing_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"id": "a", "email": "a@x.io", "total": 1}, {"id": "b", "email": "b@x.io", "total": "2"}]
    ndjson = write(tmp_path, "batch.ndjson", "\n".join(json.dumps(r) for r in [*rows, rows[0]]) + "\n")
    code, out, err = run(capsys, "map", "--expr", MAPPING, ndjson)
    assert code == 1
    assert [e["clientEventId"] for e in json.loads(out)] == ["a", "a"]
    assert "raw event [1]: mapping_shape_error" in err and "raw event [0]" not in err
    array = write(tmp_path, "batch.json", json.dumps([rows[0], rows[0]]))
    code, out, err = run(capsys, "map", "--expr", MAPPING, array)
    assert (code, len(json.loads(out)), err) == (0, 2, "")


def test_map_evaluation_error_points_into_the_expression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = write(tmp_path, "p.json", '{"email": "a@x.io"}')
    code, _, err = run(capsys, "map", "--expr", '{"profile": {"value": email & (1 + "a")}}', payload)
    assert code == 1 and "T2002" in err
    line, column = pointed_at(err)
    assert line[column] == "+"


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["map"], "expected MAPPING and PAYLOAD"),
        (["map", "--expr", "$", "a.json", "b.json"], "with --expr give only PAYLOAD"),
        (["map", "--expr", "$", "/nonexistent/p.json"], "PAYLOAD: cannot read"),
        (["map", "--nope"], "unrecognized arguments"),
    ],
)
def test_map_usage_errors_exit_2(argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and fragment in err


def test_map_unparsable_payload_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = write(tmp_path, "p.json", '{"a": ')
    code, _, err = run(capsys, "map", "--expr", "$", payload)
    assert code == 2 and "p.json: body is not valid JSON" in err


# --- inbound send --------------------------------------------------------------------------


def _event() -> dict[str, Any]:
    return {"id": unique_email("evt"), "email": unique_email(), "counters": {"total": 3}}


@pytest.mark.parametrize(
    "auth, options, secret",
    [
        ({"method": "query_token"}, ["--method", "query_token"], "tok-" + "q" * 30),
        (
            {"method": "query_token", "param": "key"},
            ["--method", "query_token", "--param", "key"],
            "tok-" + "k" * 30,
        ),
        (
            {"method": "header_token", "header": "Authorization", "scheme": "Bearer"},
            ["--method", "header_token", "--header", "Authorization", "--scheme", "Bearer"],
            "tok-" + "h" * 30,
        ),
        (
            {"method": "hub_signature", "preset": "github"},
            ["--preset", "github"],
            "gh-secret-0123456789abcdef",
        ),
        (
            {"method": "hub_signature", "preset": "stripe"},
            ["--auth", '{"method": "hub_signature", "preset": "stripe"}'],
            "whsec_stripe0123456789abcdef",
        ),
        (
            {"method": "hub_signature", "preset": "standard-webhooks"},
            ["--preset", "standard-webhooks"],
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ),
        ({"method": "hub_signature", "preset": "slack"}, ["--preset", "slack"], "slack-signing-secret-0123"),
        (
            {"method": "hub_signature", "preset": "zendesk"},
            ["--preset", "zendesk"],
            "zendesk-secret-0123456789",
        ),
    ],
    ids=[
        "query_token",
        "query_param",
        "header_token",
        "github",
        "stripe",
        "standard-webhooks",
        "slack",
        "zendesk",
    ],
)
def test_send_signs_as_the_auth_method_expects(
    server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    auth: dict[str, Any],
    options: list[str],
    secret: str,
) -> None:
    connector = create_connector(server.admin, auth=auth, secret=secret)
    payload = write(tmp_path, "event.json", json.dumps(_event()))
    code, out, err = run(capsys, "send", connector["url"], payload, "--secret", secret, *options)
    assert code == 0, err
    answer = json.loads(out)
    assert [r["status"] for r in answer["results"]] == ["processed"]
    # The same send with a wrong secret is refused: the test would notice a send that signs nothing.
    wrong = secret[:-4] + "AAAA"  # still valid base64 for Standard Webhooks
    code, out, err = run(capsys, "send", connector["url"], payload, "--secret", wrong, *options)
    assert code == 1 and json.loads(out)["error"]["code"] in ("invalid_token", "invalid_signature")


def test_send_reads_the_auth_method_from_the_connector(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "whsec_stripe-from-the-api-0123456789"
    connector = create_connector(server.admin, auth={"preset": "stripe"}, secret=secret)
    payload = write(tmp_path, "event.json", json.dumps(_event()))
    code, out, err = run(
        capsys, "send", connector["url"], payload, "--secret", secret, "--admin-token", ADMIN_TOKEN
    )
    assert code == 0, err
    assert json.loads(out)["results"][0]["status"] == "processed"
    code, _, err = run(
        capsys, "send", connector["url"], payload, "--secret", secret, "--admin-token", "wrong"
    )
    assert code == 2 and "answered 401" in err


def test_send_without_a_way_to_sign_is_a_usage_error(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INBOUND_ADMIN_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .inbound/admin-token here
    payload = write(tmp_path, "event.json", "{}")
    code, _, err = run(capsys, "send", f"{server.url}/ingest/con_x", payload, "--secret", "s")
    assert code == 2 and "--auth, --preset or --method" in err
    code, _, err = run(capsys, "send", "ftp://example.com/x", payload, "--secret", "s", "--preset", "github")
    assert code == 2 and "CONNECTOR_URL" in err
    code, _, err = run(capsys, "send", f"{server.url}/ingest/con_x", payload, "--preset", "github")
    assert code == 2 and "--secret is required" in err
    assert not (tmp_path / ".inbound").exists()


def test_bulk_send_of_an_ndjson_file_shows_progress_and_a_summary(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "bulk-github-secret-0123456789"
    connector = create_connector(server.admin, auth={"preset": "github"}, secret=secret)
    events = [_event() for _ in range(5)]
    ndjson = write(tmp_path, "events.ndjson", "\n".join(json.dumps(e) for e in [*events, events[0]]) + "\n")
    code, out, err = run(
        capsys, "send", connector["url"], "--each", ndjson, "--secret", secret, "--preset", "github"
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["requests"] == 6 and summary["httpStatuses"] == {"200": 6}
    assert summary["eventStatuses"] == {"duplicate": 1, "processed": 5}
    assert "sent 6/6 events (100%)" in err and "events/s" in err
    # A JSON array file with --split, two events a request.
    array = write(tmp_path, "events.json", json.dumps([_event() for _ in range(5)]))
    argv = [
        "send",
        connector["url"],
        array,
        "--split",
        "--batch-size",
        "2",
        "--secret",
        secret,
        "--preset",
        "github",
    ]
    code, out, err = run(capsys, *argv)
    summary = json.loads(out)
    assert code == 0 and summary["requests"] == 3 and summary["eventStatuses"] == {"processed": 5}


def test_bulk_send_counts_refusals(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    connector = create_connector(server.admin, auth={"preset": "github"}, secret="right-secret-0123456789")
    ndjson = write(tmp_path, "events.ndjson", json.dumps(_event()) + "\n" + json.dumps(_event()) + "\n")
    argv = ["send", connector["url"], "--each", ndjson, "--secret", "wrong-secret", "--preset", "github"]
    code, out, _ = run(capsys, *argv)
    summary = json.loads(out)
    assert code == 1 and summary["httpStatuses"] == {"401": 2} and "does not match" in summary["errors"][0]


# --- inbound replay ------------------------------------------------------------------------

REPLAY_BROKEN = """{
  "clientEventId": id,
  "profile": {"value": email},
  "payload": {"counters": [{"name": "amount", "value": $number(display)}]}
}"""


def _failed_orders(server: Server) -> tuple[dict[str, Any], list[str]]:
    """A connector whose mapping failed on five orders of three members, then was fixed."""
    connector = create_connector(server.admin, mapping=REPLAY_BROKEN)
    reward = {"points_per_unit": {"counter": "amount", "per": 1, "points": 1, "rounding": "floor"}}
    rule = {"name": "1 point per euro", "status": "active", "reward": reward}
    assert server.admin.post("/api/rules", json={**rule, "source": {"connector": connector["id"]}}).is_success
    members = [unique_email("ann"), unique_email("bob"), unique_email("cy")]
    for i, (member, amount) in enumerate(
        zip([*members, members[0], members[1]], (10, 20, 30, 5, 7), strict=True)
    ):
        body = {"id": f"r{i}", "email": member, "amount": amount, "display": f"{amount},00 €"}
        server.client.post(
            f"/ingest/{connector['id']}",
            params={"token": connector["credentials"][0]["value"]},
            json=body,
        )
    fixed = REPLAY_BROKEN.replace("$number(display)", "amount")
    assert server.admin.patch(f"/api/connectors/{connector['id']}", json={"mapping": fixed}).is_success
    return connector, members


def _balance(server: Server, email: str) -> int | None:
    response = server.admin.get("/api/profiles", params={"value": email})
    return int(response.json()["balance"]) if response.status_code == 200 else None


def test_replay_previews_then_applies_page_by_page_with_progress(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    connector, (ann, bob, cy) = _failed_orders(server)
    common = [connector["id"], "--url", server.url, "--admin-token", ADMIN_TOKEN, "--page-size", "2"]
    code, out, err = run(capsys, "replay", *common, "--status", "failed")
    assert code == 0, err
    preview = json.loads(out)
    assert preview["applied"] is False and preview["complete"] is True
    assert (preview["pages"], preview["rawEvents"], preview["stored"]) == (3, 5, 5)
    assert {c["value"]: c["delta"] for c in preview["changes"]} == {ann: 15, bob: 27, cy: 30}
    assert preview["pointsGained"] == 72 and preview["pointsLost"] == 0 and preview["pointsDelta"] == 72
    assert all(c["newProfile"] for c in preview["changes"])
    assert "previewed 2 raw events (1 page(s))" in err and "previewed 5 raw events (3 page(s))" in err
    assert _balance(server, ann) is None  # a preview keeps nothing

    code, out, err = run(capsys, "replay", *common, "--apply", "--since", "2000-01-01T00:00:00Z")
    assert code == 0, err
    applied = json.loads(out)
    assert applied["applied"] is True and applied["rawEvents"] == 5 and len(applied["adminLogIds"]) == 3
    assert applied["statuses"] == {"processed": 5}
    assert {c["value"]: (c["pointsBefore"], c["pointsAfter"]) for c in applied["changes"]} == {
        ann: (0, 15),
        bob: (0, 27),
        cy: (0, 30),
    }
    assert "replayed 5 raw events (3 page(s))" in err
    assert (_balance(server, ann), _balance(server, bob), _balance(server, cy)) == (15, 27, 30)
    # Exactly once: nothing failed is left, and replaying all of it again changes nothing.
    code, out, _ = run(capsys, "replay", *common, "--apply")
    assert code == 0 and json.loads(out)["rawEvents"] == 0
    code, out, _ = run(capsys, "replay", *common, "--apply", "--status", "processed,failed")
    again = json.loads(out)
    assert code == 0 and again["unchanged"] == 5 and again["pointsDelta"] == 0
    assert _balance(server, ann) == 15


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--since", "yesterday"], "--since: 'yesterday' is not an ISO 8601 time"),
        (["--status", "failed,lost"], "--status: 'lost' is not one of"),
        (["--since", "2026-11-21T00:00:00Z", "--until", "2026-11-20T00:00:00Z"], "--until:"),
        (["--page-size", "0"], "--page-size: 0 must be from 1 to 10000"),
        (["--admin-token", "wrong"], "--admin-token: the service answered 401"),
        (["--url", "ftp://x"], "--url: 'ftp://x' is not an http(s) URL"),
    ],
)
def test_replay_usage_errors_exit_2(
    server: Server, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    connector = create_connector(server.admin)
    options = ["--url", server.url, "--admin-token", ADMIN_TOKEN]
    code, _, err = run(capsys, "replay", connector["id"], *options, *argv)
    assert code == 2 and fragment in err, err


def test_replay_of_an_unknown_connector_or_without_a_token(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, "replay", "con_nope", "--url", server.url, "--admin-token", ADMIN_TOKEN)
    assert code == 2 and "CONNECTOR_ID: 'con_nope'" in err and "unknown_connector" in err
    monkeypatch.delenv("INBOUND_ADMIN_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "replay", "con_nope", "--url", server.url)
    assert code == 2 and "--admin-token" in err and not (tmp_path / ".inbound").exists()
    monkeypatch.setenv("INBOUND_ADMIN_TOKEN", ADMIN_TOKEN)
    code, out, _ = run(capsys, "replay", create_connector(server.admin)["id"], "--url", server.url)
    assert code == 0 and json.loads(out)["rawEvents"] == 0
    code, out, err = run(capsys, "replay", "con_x", "--url", "http://127.0.0.1:9", "--timeout", "2")
    assert code == 1 and "cannot reach" in err


# --- inbound check -------------------------------------------------------------------------


def test_check_on_the_test_database(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--database-url", server.database_url, "check")
    assert code == 0 and json.loads(out) == {"ok": True, "mismatches": []}


def test_check_finds_a_balance_that_is_not_the_sum_of_its_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
    profiles, balances = Profile.__table__, Balance.__table__  # type: ignore[attr-defined]

    async def setup(points: int) -> None:
        db = Database(url)
        await migrate(db)
        now = datetime.now(UTC)
        async with db.write() as conn:
            if points == 7:
                await conn.execute(
                    profiles.insert().values(id=1, kind="default", value="a@x.io", created_at=now)
                )
                await conn.execute(
                    balances.insert().values(profile_id=1, test=False, balance=7, updated_at=now)
                )
            else:
                await conn.execute(balances.update().values(balance=points))
        await db.dispose()

    asyncio.run(setup(7))
    code, out, err = run(capsys, "--database-url", url, "check")
    assert code == 1 and "1 balance(s) differ" in err
    assert json.loads(out)["mismatches"] == [{"profileId": 1, "test": False, "balance": 7, "sumOfEntries": 0}]
    asyncio.run(setup(0))
    assert run(capsys, "--database-url", url, "check")[0] == 0


def test_check_on_a_database_without_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", "check")
    assert code == 2 and "inbound migrate" in err


def test_expire_runs_the_pass_and_says_what_went(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'expire.db'}"

    async def seed() -> None:
        db = Database(url)
        await migrate(db)
        await db.dispose()

    asyncio.run(seed())
    code, out, err = run(capsys, "--database-url", url, "expire")
    assert code == 0, err
    assert "expired 0 points of 0 members in 0 entries, and 0 issued rewards past their validDays" in out
