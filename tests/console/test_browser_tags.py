"""Browser tags as real pages send them, in Chromium, from a second origin: sendBeacon (text and a
JSON Blob), a credentialed fetch, and a tracking pixel. Each event must arrive processed, and the
page must see no error (no blocked answer, no pixel onerror)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser

from tests.conftest import Server, free_port
from tests.console.conftest import Console
from tests.helpers import create_connector, token_of, unique_email

pytestmark = pytest.mark.browser

MAPPING = """{
  "clientEventId": id,
  "profile": {"kind": "default", "value": email},
  "payload": {"tags": [{"name": "via", "value": via}]}
}"""

PAGE = """<!doctype html><meta charset=utf-8><title>Shop</title><body>
<script>
const url = %(url)s, email = %(email)s, run = %(run)s;
const event = (via) => JSON.stringify({id: run + "-" + via, email: email, via: via});
window.outcome = {};
window.outcome.beaconText = navigator.sendBeacon(url, event("beacon-text"));
const blob = new Blob([event("beacon-blob")], {type: "application/json"});
window.outcome.beaconBlob = navigator.sendBeacon(url, blob);
const json = {"Content-Type": "application/json"};
fetch(url, {method: "POST", credentials: "include", headers: json, body: event("fetch")})
  .then((r) => r.json()).then((body) => { window.outcome.fetch = body.counts; },
                                (error) => { window.outcome.fetch = "error: " + error; });
const pixel = new Image();
pixel.onload = () => { window.outcome.pixel = "loaded " + pixel.naturalWidth + "x" + pixel.naturalHeight; };
pixel.onerror = () => { window.outcome.pixel = "error"; };
pixel.src = url + "&id=" + run + "-pixel&email=" + encodeURIComponent(email) + "&via=pixel";
</script>"""


@pytest.fixture
def shop_origin() -> Iterator[tuple[str, dict[str, str]]]:
    """A second local origin (another port) serving the shop's page: {path: html}."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "not found").encode()
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", pages
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_beacons_credentialed_fetch_and_pixels_all_arrive(
    browser: Browser, server: Server, shop_origin: tuple[str, dict[str, str]]
) -> None:
    origin, pages = shop_origin
    connector = create_connector(
        server.admin, name="Shop tag", mapping=MAPPING, allowedOrigins=[origin], allowGet=True
    )
    url = f"{server.ingest_url(connector['id'])}?token={token_of(connector)}"
    run, email = "tag-" + uuid.uuid4().hex[:8], unique_email("tag")
    pages["/shop"] = PAGE % {"url": json.dumps(url), "email": json.dumps(email), "run": json.dumps(run)}
    context = browser.new_context()
    try:
        tab = Console(context.new_page(), server)
        tab.page.goto(origin + "/shop")
        tab.page.wait_for_function("window.outcome.fetch !== undefined && window.outcome.pixel !== undefined")
        outcome = tab.page.evaluate("window.outcome")
        assert outcome["beaconText"] is True and outcome["beaconBlob"] is True
        assert outcome["fetch"] == {"processed": 1}, outcome
        assert outcome["pixel"] == "loaded 1x1", outcome
        assert tab.js_errors == [], tab.js_errors
    finally:
        context.close()
    wanted = {f"{run}-{via}" for via in ("beacon-text", "beacon-blob", "fetch", "pixel")}
    deadline = time.monotonic() + 15
    seen: dict[str, str] = {}
    while time.monotonic() < deadline and set(seen) != wanted:
        items = server.admin.get(f"/api/events?connector={connector['id']}&limit=50").json()["items"]
        seen = {e["clientEventId"]: e["status"] for e in items}
        time.sleep(0.2)
    assert seen == dict.fromkeys(wanted, "processed")


def test_a_refused_preflight_is_in_the_request_log(server: Server) -> None:
    connector = create_connector(server.admin, name="Preflight", allowedOrigins=["https://shop.example.com"])
    answer = server.client.options(
        f"/ingest/{connector['id']}",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert answer.status_code == 403
    request_id = answer.headers["x-request-id"]
    logged = server.admin.get(f"/api/requests/{request_id}").json()
    assert logged["method"] == "OPTIONS" and logged["statusCode"] == 403
    assert logged["error"]["code"] == "cors_origin_not_allowed"
    refused = server.admin.get(f"/api/requests?connector={connector['id']}&refused=true").json()["items"]
    assert [r["id"] for r in refused] == [request_id]
    allowed = server.client.options(
        f"/ingest/{connector['id']}",
        headers={"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example.com"


def test_a_wildcard_origin_never_allows_credentials(server: Server) -> None:
    connector = create_connector(server.admin, name="Anyone", allowedOrigins=["*"])
    answer = server.client.options(
        f"/ingest/{connector['id']}",
        headers={"Origin": "https://any.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers


def test_every_answer_names_its_request(server: Server) -> None:
    connector = create_connector(server.admin, name="Ids", allowGet=True)
    refused = server.client.post(f"/ingest/{connector['id']}?token=wrong", json={"id": "x"})
    assert refused.status_code == 401
    logged = server.admin.get(f"/api/requests/{refused.headers['x-request-id']}").json()
    assert logged["statusCode"] == 401 and logged["auth"]["outcome"] == "refused"
    unknown = server.client.post("/ingest/con_nope?token=x", json={})
    assert unknown.status_code == 404 and unknown.headers["x-request-id"].startswith("req_")
    # curl and API clients asking for anything get JSON from a GET; an <img> gets a GIF.
    query = {"token": token_of(connector), "id": "g-" + uuid.uuid4().hex[:6], "email": unique_email()}
    as_json = server.client.get(f"/ingest/{connector['id']}", params=query)
    assert as_json.headers["content-type"].startswith("application/json")
    query["id"] = "g-" + uuid.uuid4().hex[:6]
    as_image = server.client.get(
        f"/ingest/{connector['id']}", params=query, headers={"Accept": "image/avif,image/webp,*/*;q=0.8"}
    )
    assert as_image.status_code == 200 and as_image.headers["content-type"] == "image/gif"
    assert as_image.content.startswith(b"GIF89a") and as_image.headers["cache-control"] == "no-store"
    assert as_image.headers["x-request-id"].startswith("req_")
