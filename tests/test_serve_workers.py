"""`inbound serve --workers N`: several processes on one port, every connection with TCP_NODELAY."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from cli_tools.serve import _no_delay
from tests.conftest import ADMIN_TOKEN, free_port
from tests.helpers import create_connector, send, unique_email

ROOT = Path(__file__).resolve().parent.parent


class _Transport:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str) -> Any:
        return self.sock if name == "socket" else None


def test_no_delay_is_set_on_a_socket_whatever_its_proto_says() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        # What a worker gets: the same socket rebuilt from its descriptor, proto 0 (uvicorn 3149).
        rebuilt = socket.socket(fileno=os.dup(accepted.fileno()), proto=0)
        try:
            assert rebuilt.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
            _no_delay(_Transport(rebuilt))  # type: ignore[arg-type]
            assert rebuilt.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            for s in (rebuilt, accepted, client):
                s.close()


def test_two_workers_serve_and_answer_keep_alive_requests_quickly(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "INBOUND_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'workers.db'}",
        "INBOUND_ADMIN_TOKEN": ADMIN_TOKEN,
        "INBOUND_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        admin = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)
        connector = create_connector(admin)
        with httpx.Client(base_url=base, timeout=10) as client:  # one keep-alive connection
            started = time.monotonic()
            for n in range(20):
                response = send(client, connector, {"id": f"w-{n}", "email": unique_email("w")})
                assert response.status_code == 200, response.text
            # Without TCP_NODELAY each answer waited ~40 ms for the delayed ACK: 20 took ≥ 0.8 s
            # (seen with asyncio's loop; uvloop sets it too, cli_tools/serve.py sets it whatever runs).
            assert time.monotonic() - started < 0.8
        admin.close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
