"""The console as its users meet it, in Chromium against the real server: from a new connector to
a member's points, the shared integration page, and the guards (login, CSRF, idle timeout)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.conftest import ADMIN_TOKEN, Server
from tests.console.conftest import Console

pytestmark = pytest.mark.browser

BROKEN = '{"clientEventId": id, "profile": {"kind": "default", "value": email}, "payload": {"tags": [}'
FIXED = """{
  "clientEventId": id,
  "profile": {"kind": "default", "value": email},
  "payload": {
    "timestamp": timestamp,
    "tags": [{"name": "action", "value": action}, {"name": "channel", "value": "web"}],
    "counters": [{"name": "amount", "value": amount}]
  }
}"""


def _event(email: str, amount: float) -> dict[str, object]:
    return {
        "id": "evt-" + uuid.uuid4().hex[:8],
        "email": email,
        "timestamp": datetime.now(UTC).isoformat(),
        "action": "purchase",
        "amount": amount,
    }


def _send(server: Server, url: str, token: str, body: dict[str, object]) -> dict[str, object]:
    response = httpx.post(url, params={"token": token}, json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_from_a_new_connector_to_a_members_points(console: Console, server: Server, browser: Browser) -> None:
    page = console.page
    email = f"ann-{uuid.uuid4().hex[:8]}@example.com"

    # Log in, by keyboard: the token field has the focus.
    console.go("/console/connectors")
    expect(page).to_have_url(re.compile(r"/console/login\?next=/console/connectors"))
    page.keyboard.type(ADMIN_TOKEN)
    page.keyboard.press("Tab")
    page.keyboard.type("Mia")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/console/connectors$"))
    console.shot("connectors-before")

    # The wizard: an auth method, then name and mapping, then the URL and credentials, once.
    page.click("text=New connector")
    page.check("input[value=query_token]")
    page.click("button:has-text('Next')")
    page.fill("#name", "Webshop checkout")
    console.shot("wizard-step-2")
    page.click("button:has-text('Create connector')")
    expect(page.locator("h1")).to_contain_text("Webshop checkout is ready")
    console.shot("wizard-created")
    url = page.locator("#url").inner_text()
    token = page.locator("#cred-1").inner_text()
    assert url.startswith(server.url + "/ingest/con_")
    connector_id = url.rsplit("/", 1)[1]

    # A sender posts an event; the stream shows it, and its page shows the trace.
    first = _send(server, url, token, _event(email, 42.5))
    event_id = first["results"][0]["eventId"]  # type: ignore[index]
    console.go(f"/console/events?connector={connector_id}")
    row = page.locator(f"a[href='/console/events/{event_id}']")
    expect(row).to_be_visible()
    # Who and where as the marketer knows them: the connector's name, the member's email.
    line = page.locator("#events-table tbody tr").first
    expect(line).to_contain_text("Webshop checkout")
    expect(line).to_contain_text(email)
    console.shot("events")
    row.click()
    expect(page.locator("h1")).to_contain_text(f"Event #{event_id}")
    expect(page.locator(".trace")).to_contain_text("rules")
    expect(page.locator(".trace")).to_contain_text("profile")
    expect(page.locator("p.sub").first).to_contain_text("from Webshop checkout")
    expect(page.locator("p.sub").first).to_contain_text(f"member {email}")
    console.shot("event")

    # The playground: a broken mapping shows the error with a caret; fixed, the mapped output.
    console.go(f"/console/playground?connector={connector_id}")
    expect(page.locator(".mapped").first).to_be_visible()
    page.fill("#mapping", BROKEN)
    error = page.locator("#mapping-error")
    expect(error).to_contain_text("mapping_syntax_error")
    expect(page.locator("#result pre").first).to_contain_text("^")
    # The line and its caret fit the box unwrapped, so the caret sits under its character.
    fits = page.locator("#result pre.caret-box").evaluate(
        "(box) => getComputedStyle(box).whiteSpace === 'pre' && box.scrollWidth <= box.clientWidth"
    )
    assert fits
    console.shot("playground-error")
    page.fill("#mapping", FIXED)
    expect(page.locator(".mapped").first).to_contain_text('"channel"')
    console.shot("playground-fixed")
    page.click("button:has-text('Save as a new version')")
    expect(page.locator("#saved")).to_contain_text("mapping version 2 is live")
    assert server.admin.get(f"/api/connectors/{connector_id}").json()["mappingVersion"] == 2

    # The rule builder: a per-euro rule for this connector, previewed, then created active.
    console.go(f"/console/rules/new?connector={connector_id}")
    page.fill("#r-name", "Webshop: 1 point per euro")
    page.select_option("#r-status", "active")
    page.click("#r-add-condition")
    row_fields = page.locator("#r-conditions .cond-row").first.locator("input, select")
    row_fields.nth(1).fill("action")
    row_fields.nth(3).fill("purchase")
    page.select_option("#r-reward-kind", "points_per_unit")
    page.fill("#r-ppu-counter", "amount")
    expect(page.locator("#r-json")).to_have_value(re.compile('"points_per_unit"'))
    page.click("button:has-text('Preview on recent events')")
    expect(page.locator("#preview-summary")).to_contain_text("1 of 1")
    console.shot("rule-builder")
    page.click("button:has-text('Create rule')")
    expect(page.locator(".banner.ok")).to_contain_text("Saved")
    rules = server.admin.get("/api/rules").json()["items"]
    rule = next(r for r in rules if r["name"] == "Webshop: 1 point per euro")
    assert rule["status"] == "active" and rule["source"] == {"connector": connector_id}
    assert rule["reward"]["points_per_unit"]["counter"] == "amount"

    # The next purchase earns; the member's page shows the balance and the ledger line.
    second = _send(server, url, token, _event(email, 19.99))
    assert second["results"][0]["awards"][0]["points"] == 19  # type: ignore[index]
    console.go("/console/members?q=" + email[:12])
    page.click(f"text={email}")
    expect(page.locator("#balance")).to_contain_text("19")
    expect(page.locator("main")).to_contain_text("Webshop")
    console.shot("member")

    # A manual adjustment, with a mistake first: the API's message, next to the field.
    page.fill("#points", "ten")
    page.fill("#reason", "goodwill")
    page.click("button:has-text('Adjust')")
    expect(page.locator("#field-error-note")).to_contain_text("must be a whole number")
    page.fill("#points", "5")
    page.click("button:has-text('Adjust')")
    expect(page.locator("#balance")).to_contain_text("24")

    # The shared integration page opens without any login; rotating revokes it.
    console.go(f"/console/connectors/{connector_id}")
    page.click("button:has-text('Create link')")
    link = page.locator("#share-link").inner_text()
    # Its recent requests are all its own: no column repeating its id on every row.
    requests_table = page.locator("table", has=page.locator("th", has_text="Received"))
    expect(requests_table.locator("tbody tr")).not_to_have_count(0)
    expect(requests_table.locator("th", has_text="Connector")).to_have_count(0)
    console.shot("connector")
    stranger = browser.new_context()
    try:
        shared = stranger.new_page()
        shared.goto(link)
        expect(shared.locator("body")).to_contain_text("Webshop checkout")
        assert "adm_" not in shared.content() and token not in shared.content()
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("button:has-text('Revoke all shared links')")
        expect(page.locator(".banner.ok")).to_contain_text("revoked")
        response = shared.goto(link)
        assert response is not None and response.status == 410
        expect(shared.locator("h1")).to_have_text("Link revoked")
    finally:
        stranger.close()

    # The request log names the connector as the marketer named it.
    console.go(f"/console/requests?connector={connector_id}")
    expect(page.locator("tbody tr").first).to_contain_text("Webshop checkout")

    console.go("/console/")
    console.shot("overview")


def test_forms_without_the_csrf_token_are_refused(
    console: Console, context: BrowserContext, server: Server
) -> None:
    console.login()
    connector = server.admin.post("/api/connectors", json={"name": "CSRF target"}).json()
    path = f"/console/connectors/{connector['id']}/status"
    refused = context.request.post(server.url + path, form={"status": "disabled"}, max_redirects=0)
    assert refused.status == 403
    assert "security token" in refused.text()
    wrong = context.request.post(
        server.url + path, form={"status": "disabled", "csrf_token": "forged"}, max_redirects=0
    )
    assert wrong.status == 403
    assert server.admin.get(f"/api/connectors/{connector['id']}").json()["status"] == "active"
    # The page's own form carries the token and works.
    console.go(f"/console/connectors/{connector['id']}")
    console.page.click("button:has-text('Disable')")
    expect(console.page.locator("h1 .pill")).to_have_text("disabled")
    assert server.admin.get(f"/api/connectors/{connector['id']}").json()["status"] == "disabled"


def test_login_refuses_a_wrong_token_and_never_redirects_off_site(console: Console, server: Server) -> None:
    page = console.go("/console/login?next=//evil.example.com/")
    page.fill("#token", "adm_wrong")
    page.click("button[type=submit]")
    expect(page.locator("#token-error")).to_have_text("That is not the admin token or an active admin key.")
    expect(page.locator("#token")).to_have_attribute("aria-invalid", "true")
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    expect(page).to_have_url(server.url + "/console/")  # not evil.example.com
    # The session cookie is HttpOnly, SameSite and scoped to the console.
    cookie = next(c for c in page.context.cookies() if c["name"] == "inbound_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/console"


def test_an_idle_session_must_log_in_again(
    console: Console, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    console.login()
    import console.session as session_module

    later = session_module.now() + session_module.IDLE_SECONDS + 5
    monkeypatch.setattr(session_module, "now", lambda: later)
    page = console.go("/console/rules")
    expect(page).to_have_url(re.compile(r"/console/login\?next=/console/rules&why=idle"))
    expect(page.locator("[role=alert]")).to_contain_text("30 minutes without activity")


def test_the_pages_read_at_phone_width(browser: Browser, server: Server) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        tab = Console(context.new_page(), server)
        tab.login()
        for path, name in (
            ("/console/", "overview"),
            ("/console/connectors", "connectors"),
            ("/console/events", "events"),
            ("/console/rules/new", "rule-builder"),
            ("/console/playground", "playground"),
        ):
            page = tab.go(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390 + 1, f"{path} scrolls sideways at 390 px ({width} px wide)"
            tab.shot(name)
            if name == "events":  # who the event was about is in view, not behind a sideways scroll
                member = page.locator("#events-table th", has_text="Member").bounding_box()
                assert member is not None and member["x"] + member["width"] <= 390, member
            refused = page.locator("th", has_text="Refused requests")  # the overview's failures, if any
            if name == "overview" and refused.count():
                box = refused.bounding_box()
                assert box is not None and box["x"] + box["width"] <= 390, box
        assert tab.js_errors == [], tab.js_errors
    finally:
        context.close()


def test_root_redirects_to_the_console_and_the_api_stays_bearer_only(server: Server) -> None:
    response = server.client.get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/console/"
    login = server.client.get("/console/", follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"].startswith("/console/login")
    # A console cookie is no key to the API.
    api = server.client.get("/api/connectors", headers={"Cookie": "inbound_console=anything"})
    assert api.status_code == 401
