"""The README's five-minute tour, pasted into bash as a reader would, against the real server.

Was: it hard-coded the address in 7 URLs and asked the reader to copy the connector id and token
by hand, so it could not be pasted and run as a whole.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from settings import load_settings
from tests.conftest import ADMIN_TOKEN, _fresh_database_url, free_port, serve

README = Path(__file__).resolve().parent.parent / "README.md"


def tour() -> str:
    text = README.read_text()
    section = text[text.index("## A five-minute tour") :]
    match = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert match, "the tour's ```sh block"
    return match.group(1)


def test_the_tour_runs_as_pasted(tmp_path: Path) -> None:
    # A database of its own, as a reader's: the tour's Ann must start with no points.
    url, cleanup = _fresh_database_url("sqlite", tmp_path)
    settings = load_settings(environ={}, database_url=url, admin_token=ADMIN_TOKEN, port=free_port())
    try:
        with serve(settings) as server:
            run_the_tour(server.url, tmp_path)
    finally:
        cleanup()  # type: ignore[operator]


def run_the_tour(base_url: str, tmp_path: Path) -> None:
    (tmp_path / ".inbound").mkdir()
    (tmp_path / ".inbound" / "admin-token").write_text(ADMIN_TOKEN + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOUND_")}
    env["INBOUND_URL"] = base_url
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", tour()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    connector, rule, first, again, wrong, requests, events = answers
    assert connector["id"].startswith("con_") and rule["source"] == {"connector": connector["id"]}
    assert first["results"][0]["status"] == "processed" and first["results"][0]["balance"] == 5
    assert first["results"][0]["profile"]["value"] == "ann@example.com"
    assert again["results"][0]["status"] == "duplicate"
    assert wrong["error"]["code"] == "invalid_token"
    assert sorted(r["statusCode"] for r in requests["items"]) == [200, 200, 401]
    duplicate, event = events["items"]  # newest first
    assert (duplicate["status"], event["status"]) == ("duplicate", "processed")
    step = next(s for s in event["trace"] if s["step"] == "rules")
    assert [r["ruleId"] for r in step["rules"]] == [rule["id"]]
