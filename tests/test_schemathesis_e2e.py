"""The API under generated requests (schemathesis): no 5xx, and every answer, status code,
content type and header as /openapi.json says. On a server and database of its own, so the
rules and connectors it makes up never reach other tests."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from settings import load_settings
from tests.conftest import ADMIN_TOKEN, Server, _fresh_database_url, free_port, serve
from tests.helpers import create_connector, token_of

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = (
    "not_a_server_error,response_schema_conformance,status_code_conformance,"
    "content_type_conformance,response_headers_conformance"
)


@pytest.fixture
def own_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    url, cleanup = _fresh_database_url(request.param, tmp_path)
    settings = load_settings(
        environ={}, database_url=url, admin_token=ADMIN_TOKEN, port=free_port(), rate_limit_refused="off"
    )
    try:
        with serve(settings) as running:
            yield running
    finally:
        cleanup()  # type: ignore[operator]


def _run(server: Server, tmp_path: Path, config: str, *extra: str) -> tuple[int, str]:
    config_file = tmp_path / "schemathesis.toml"
    config_file.write_text(config)
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config_file),
        "--no-color",
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        CHECKS,
        "--workers",
        "1",
        "--seed",
        "20261206",
        "--report-dir",
        str(tmp_path / "report"),
        *extra,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    return done.returncode, done.stdout + done.stderr


def _generated(output: str) -> int:
    found = re.search(r"(\d+) generated", output)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("own_server", ["sqlite", "postgres"], indirect=True)
def test_the_api_keeps_its_document_under_generated_requests(own_server: Server, tmp_path: Path) -> None:
    # Every generated object maps to an event of one member: the generated requests reach the
    # rules and the ledger, not only the mapping.
    mapping = '{"profile": {"value": "fuzz-member"}, "payload": {"counters": [{"name": "n", "value": 1}]}}'
    connector = create_connector(own_server.admin, name="Fuzzed", mapping=mapping, allowGet=True)
    rule = {
        "name": "Fuzz",
        "status": "active",
        "source": {"connector": connector["id"]},
        "reward": {"fixed": 1},
    }
    assert own_server.admin.post("/api/rules", json=rule).status_code == 201
    config = f"""
headers = {{ Authorization = "Bearer {ADMIN_TOKEN}" }}

# Senders' requests with a real connector and credential.
[[operations]]
include-path-regex = "^/ingest/"
parameters = {{ "path.connector_id" = "{connector["id"]}", "query.token" = "{token_of(connector)}" }}
"""
    code, output = _run(own_server, tmp_path, config, "--max-examples", "25")
    assert code == 0, output[-6000:]
    assert _generated(output) >= 1000, output[-2000:]
    processed = own_server.admin.get(f"/api/events?connector={connector['id']}&status=processed").json()
    assert processed["items"], "no generated event was processed: the ingest operations never got through"
    assert own_server.admin.get("/api/ledger/check").json()["ok"]
