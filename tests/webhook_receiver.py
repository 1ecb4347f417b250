"""A real HTTP receiver for outgoing webhooks, on a loopback port in a thread: it records every
delivery (headers and the raw body) and answers as the test tells it (a status per request, or
holding a request open to let the test kill the sender mid-delivery)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # the statuses to answer next, in order
    always: int = 200  # once `answers` is used up
    hold: threading.Event | None = None  # hold the next request open until set (then answer 200)
    holding: threading.Event = field(default_factory=threading.Event)  # a request is being held
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 20.0, **match: Any) -> list[Delivery]:
        """Wait until `count` deliveries (with these payload fields) have arrived; return them."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = [d for d in self.deliveries if all(d.json.get(k) == v for k, v in match.items())]
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, f"{len(found)} of {count} deliveries {match} arrived: {found}"
                return found
            time.sleep(0.05)

    def verified(self, secret: str) -> list[Any]:
        """Every delivery verified by the `standardwebhooks` package (raises on a bad signature)."""
        with self.lock:
            return [Webhook(secret).verify(d.body, d.headers) for d in self.deliveries]


@contextmanager
def receiving(port: int) -> Iterator[Receiver]:
    receiver = Receiver(url=f"http://127.0.0.1:{port}/hooks")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with receiver.lock:
                receiver.deliveries.append(Delivery({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.answers.pop(0) if receiver.answers else receiver.always
                hold, receiver.hold = receiver.hold, None
            if hold is not None:
                receiver.holding.set()
                hold.wait(60)
                return  # the sender is gone: nobody to answer
            self.send_response(status)
            self.send_header("content-type", "text/plain")
            reply = b"ok" if status < 300 else f"receiver says {status}".encode()
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if receiver.hold is not None:
            receiver.hold.set()
        httpd.shutdown()
        httpd.server_close()
