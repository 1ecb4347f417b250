"""The console's members and event-type pages, in Chromium: make a type reportable, report an
event about a member by hand, issue and revoke a token, merge two members and erase one."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import Server
from tests.console.conftest import Console
from tests.helpers import unique_email

pytestmark = pytest.mark.browser


def test_a_marketer_reports_an_event_by_hand_and_manages_a_member(console: Console, server: Server) -> None:
    name = f"app.visit{uuid.uuid4().hex[:8]}"
    console.login()
    page = console.go("/console/event-types")
    page.fill("#name", name)
    page.select_option("#reporting", "private")
    page.check("input[name=enhancer_time_parts]")
    page.fill("#maxPastSeconds", "86400")
    page.click("#event-type-form button[type=submit]")
    expect(page.locator("#type-secret")).to_contain_text("evsec_")
    row = page.locator("#event-types tr", has_text=name)
    expect(row).to_contain_text("private")
    expect(row).to_contain_text("time_parts")
    console.shot("event-types")
    # Editing keeps what the type has: its schema and enhancers are in the form.
    page.click(f"#event-types tr:has-text('{name}') a:has-text('Edit')")
    expect(page.locator("input[name=enhancer_time_parts]")).to_be_checked()
    expect(page.locator("#maxPastSeconds")).to_have_value("86400")
    page.select_option("#reporting", "public")
    page.click("#event-type-form button[type=submit]")
    expect(page.locator("#event-types tr", has_text=name)).to_contain_text("public")
    page.click(f"#event-types tr:has-text('{name}') a:has-text('Edit')")
    page.select_option("#reporting", "private")
    page.click("#event-type-form button[type=submit]")
    expect(page.locator("#type-secret")).to_contain_text("evsec_")
    rule = {"name": "Visit: 8", "status": "active", "source": {"event_type": name}, "reward": {"fixed": 8}}
    assert server.admin.post("/api/rules", json=rule).status_code == 201

    email, other = unique_email("hand"), unique_email("twin")
    ann = server.admin.post("/api/members", json={"identities": [{"value": email}]}).json()
    twin = server.admin.post("/api/members", json={"identities": [{"value": other}]}).json()
    page = console.go(f"/console/members/{ann['id']}")
    expect(page.locator("#identities")).to_contain_text(email)
    page.select_option("#type", name)
    page.fill("#payload", '{"tags": {"store": "brussels"}}')
    page.click("#report-form button[type=submit]")
    expect(page.locator(".banner.ok")).to_contain_text("+8 points")
    page.check("#report-form input[name=test]")
    page.click("#report-form button[type=submit]")
    expect(page.locator(".banner.ok")).to_contain_text("test data, +8 points")
    assert server.admin.get(f"/api/profiles/{ann['id']}").json()["testBalance"] == 8
    # A mistake in the payload is shown next to the form, in the API's words.
    page.fill("#payload", '{"tag": {}}')
    page.click("#report-form button[type=submit]")
    expect(page.locator("#report-form #form-error")).to_contain_text("payload")

    page.click("form[action$='/tokens'] button")
    token = page.locator("#new-token").inner_text()
    assert token.startswith("mbr_")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action*='/revoke'] button")
    expect(page.locator(".banner.ok")).to_contain_text("revoked")

    page.fill("#memberId", str(twin["id"]))
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action$='/merge'] button")
    expect(page.locator(".banner.ok")).to_contain_text(f"Member #{twin['id']} merged in")
    expect(page.locator("#identities")).to_contain_text(other)
    console.shot("member-merged")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action$='/erase'] button")
    expect(page.locator(".banner.ok")).to_contain_text("Personal data erased")
    assert email not in page.locator("#identities").inner_text()
    assert server.admin.get(f"/api/members/{ann['id']}").json()["identities"][0]["kind"] == "erased"
