"""`make run` end to end: the installed `inbound demo` command starts, and the curl it prints works.

Runs the console script in a separate process from an empty folder, exactly as `make run` does, so
a package missing from the install (the command failing to import) fails here.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port

INBOUND = Path(sys.executable).parent / "inbound"


def _require_installed() -> None:
    # `make test` installs the project first: a missing console script is the defect to catch.
    assert INBOUND.exists(), f"the `inbound` console script is not installed next to {sys.executable}"


def test_installed_command_answers_help(tmp_path: Path) -> None:
    _require_installed()
    done = subprocess.run([str(INBOUND), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "serve" in done.stdout and "demo" in done.stdout


def test_demo_serves_and_its_printed_curl_is_accepted(tmp_path: Path) -> None:
    _require_installed()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INBOUND_")},
        "INBOUND_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        "INBOUND_PORT": str(port),
        "INBOUND_LOG_LEVEL": "warning",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(INBOUND), "demo"], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"`inbound demo` exited:\n{log.read_text()}"
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"`inbound demo` did not answer:\n{log.read_text()}"
            time.sleep(0.2)
        printed = log.read_text()
        token = (tmp_path / ".inbound" / "admin-token").read_text().strip()
        assert f"admin token  {token}" in printed
        lines = [line.strip() for line in printed.splitlines()]
        curl_line = next(line for line in lines if line.startswith("curl -sS -X POST"))
        answer = _run_curl(curl_line)
        assert answer.status_code == 200, answer.text
        results = answer.json()["results"]
        assert results and results[0]["status"] in {"processed", "duplicate"}, results
        events = httpx.get(f"{base}/api/events", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert events.status_code == 200 and events.json()["items"], events.text
    finally:
        server.terminate()
        server.wait(timeout=30)


def _run_curl(command: str) -> httpx.Response:
    """Send what the printed curl sends (URL, -H headers, --data-binary body), with httpx."""
    args = shlex.split(command)
    url = next(a for a in args if a.startswith("http"))
    headers = dict(args[i + 1].split(": ", 1) for i, a in enumerate(args) if a == "-H")
    body = args[args.index("--data-binary") + 1]
    return httpx.post(url, headers=headers, content=body.encode(), timeout=10)


def test_service_options_work_before_and_after_the_command() -> None:
    from cli import build_parser

    parser = build_parser()
    after = parser.parse_args(["serve", "--port", "8123", "--host", "0.0.0.0"])
    before = parser.parse_args(["--port", "8124", "migrate"])
    neither = parser.parse_args(["demo"])
    assert (after.port, after.host, before.port, neither.port) == (8123, "0.0.0.0", 8124, None)


def test_demo_on_a_taken_port_says_what_to_do_before_any_banner(tmp_path: Path) -> None:
    # Was: the banner and the ready curl were printed, then uvicorn failed to bind.
    _require_installed()
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("INBOUND_")},
            "INBOUND_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
            "INBOUND_PORT": str(port),
        }
        done = subprocess.run(
            [str(INBOUND), "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert f"INBOUND_PORT={port + 10} make run" in done.stderr
    assert "curl" not in done.stdout and "admin token" not in done.stdout
