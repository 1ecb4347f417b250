"""The console's rewards, badges, expiry and webhook pages, in Chromium: a marketer fills the
catalog, grants a badge and sells a reward on a member's page; a developer adds a webhook
endpoint, sends a test message to a real receiver and reads its delivery log."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import Server, free_port
from tests.console.conftest import Console
from tests.helpers import unique_email
from tests.webhook_receiver import receiving

pytestmark = pytest.mark.browser


def test_a_marketer_fills_the_catalog_and_serves_a_member(console: Console, server: Server) -> None:
    tag = uuid.uuid4().hex[:6]
    console.login()
    page = console.go("/console/rewards")
    # A mistake is named next to the form, in the API's words.
    page.fill("#name", f"Coffee {tag}")
    page.fill("#cost", "-5")
    page.click("#reward-form button[type=submit]")
    expect(page.locator("#reward-form #form-error")).to_contain_text("cost: -5 must be a whole number")
    page.fill("#cost", "40")
    page.fill("#stock", "3")
    page.fill("#limitMax", "1")
    page.select_option("#limitPeriod", "day")
    page.click("#reward-form button[type=submit]")
    row = page.locator("#rewards tr", has_text=f"Coffee {tag}")
    expect(row).to_contain_text("1 per day")
    expect(row).to_contain_text("3")
    page.fill("#badgeName", f"Regular {tag}")
    page.check("#badge-form input[name=repeatable]")
    page.click("#badge-form button[type=submit]")
    expect(page.locator("#badges tr", has_text=f"Regular {tag}")).to_contain_text("again and again")
    page.select_option("#kind", "end_of_year")
    page.fill("#amount", "50")
    page.click("#expiry-form button[type=submit]")
    expect(page.locator("#expiry-policy")).to_contain_text("50th year after the year")
    page.click("a:has-text('Preview the expiry pass')")
    expect(page.locator("#expiry-preview")).to_contain_text("A pass now would expire")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action$='/expiry/run'] button")
    expect(page.locator(".banner.ok")).to_contain_text("Expiry pass done")
    console.shot("rewards-and-badges")

    member = server.admin.post("/api/members", json={"identities": [{"value": unique_email("shop")}]}).json()
    server.admin.post(
        f"/api/profiles/{member['id']}/adjustments", json={"points": 100, "reason": "seed", "admin": "test"}
    )
    # Other tests' rules (a welcome bonus) may have given the member more: count from what it has.
    base = server.admin.get(f"/api/members/{member['id']}").json()["balance"]
    page = console.go(f"/console/members/{member['id']}")
    expect(page.locator("#expiry-summary")).to_contain_text("50th year")
    page.select_option("#reward", label=f"Coffee {tag} · 40 points · 3 left")
    page.click("#purchase-form button[type=submit]")
    expect(page.locator(".banner.ok")).to_contain_text(f"Coffee {tag} bought for 40 points: code RW-")
    expect(page.locator("#member-rewards button:has-text('Copy')")).to_have_count(1)  # a code to give out
    expect(page.locator("#balance")).to_contain_text(f"{base - 40:,}".replace(",", " "))
    page.click("#purchase-form button[type=submit]")  # a second the same day: the limit says no
    expect(page.locator("#form-error")).to_contain_text("the most one member may have per day")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#member-rewards button:has-text('Cancel')")
    expect(page.locator(".banner.ok")).to_contain_text("cancelled: its points are back")
    expect(page.locator("#member-rewards button:has-text('Copy')")).to_have_count(0)  # no longer usable
    expect(page.locator("#balance")).to_contain_text(f"{base:,}".replace(",", " "))
    page.select_option("#badge", label=f"Regular {tag}")
    page.fill("#note", "helped at the event")
    page.click("#badge-grant-form button[type=submit]")
    expect(page.locator("#member-badges")).to_contain_text(f"Regular {tag}")
    expect(page.locator("#member-badges")).to_contain_text("by hand: helped at the event")
    console.shot("member-rewards-badges")
    server.admin.put("/api/expiry-policy", json={"kind": "never"})  # the shared server's other tests


def test_a_marketer_edits_a_reward_and_archives_a_badge(console: Console, server: Server) -> None:
    tag = uuid.uuid4().hex[:6]
    reward = server.admin.post(
        "/api/rewards",
        json={"name": f"Mug {tag}", "cost": 300, "stock": 5, "limit": {"max": 1, "period": "year"}},
    ).json()
    badge = server.admin.post("/api/badges", json={"name": f"Pioneer {tag}"}).json()
    console.login()
    page = console.go("/console/rewards")
    page.click(f"#rewards tr:has-text('Mug {tag}') a:has-text('Edit')")
    expect(page.locator("#reward-form")).to_be_visible()
    expect(page.locator("h3", has_text=f"Edit Mug {tag}")).to_be_visible()
    expect(page.locator("#cost")).to_have_value("300")
    expect(page.locator("#limitMax")).to_have_value("1")
    page.fill("#cost", "abc")  # a mistake keeps the form in edit mode, with what was typed
    page.click("#reward-form button[type=submit]")
    expect(page.locator("#reward-form #form-error")).to_contain_text("cost:")
    expect(page.locator("#cost")).to_have_value("abc")
    console.shot("reward-edit")
    page.fill("#cost", "250")
    page.fill("#stock", "")  # emptied: unlimited
    page.fill("#limitMax", "")  # emptied: no limit
    page.fill("#availableFrom", "2026-12-24T09:00")  # picked in the program's time zone (UTC here)
    page.click("#reward-form button[type=submit]")
    expect(page.locator(".banner.ok")).to_contain_text(f"Reward Mug {tag} saved")
    row = page.locator("#rewards tr", has_text=f"Mug {tag}")
    expect(row).to_contain_text("250")
    expect(row).to_contain_text("unlimited")
    expect(row).to_contain_text("no limit")
    saved = server.admin.get(f"/api/rewards/{reward['id']}").json()
    assert (saved["cost"], saved["stock"], saved["limit"]) == (250, None, None)
    assert saved["availableFrom"].startswith("2026-12-24T09:00:00")
    page = console.go(f"/console/rewards?edit={reward['id']}")
    expect(page.locator("#availableFrom")).to_have_value("2026-12-24T09:00")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"#badges tr:has-text('Pioneer {tag}') button:has-text('Archive')")
    expect(page.locator(".banner.ok")).to_contain_text(f"Badge Pioneer {tag} is archived")
    expect(page.locator("#badges tr", has_text=f"Pioneer {tag}")).to_contain_text("archived")
    assert server.admin.get(f"/api/badges/{badge['id']}").json()["status"] == "archived"
    page.click(f"#badges tr:has-text('Pioneer {tag}') button:has-text('Restore')")
    expect(page.locator("#badges tr", has_text=f"Pioneer {tag}")).to_contain_text("active")


def test_a_rewards_dates_with_seconds_keep_them_when_edited(console: Console, server: Server) -> None:
    tag = uuid.uuid4().hex[:6]
    reward = server.admin.post(
        "/api/rewards",
        json={"name": f"Flash {tag}", "cost": 5, "availableFrom": "2026-12-24T09:00:30Z"},
    ).json()
    console.login()
    page = console.go(f"/console/rewards?edit={reward['id']}")
    expect(page.locator("#availableFrom")).to_have_value("2026-12-24T09:00:30")
    page.fill("#cost", "6")
    page.click("#reward-form button[type=submit]")
    expect(page.locator(".banner.ok")).to_contain_text(f"Reward Flash {tag} saved")
    saved = server.admin.get(f"/api/rewards/{reward['id']}").json()
    assert saved["cost"] == 6 and saved["availableFrom"].startswith("2026-12-24T09:00:30"), saved


def test_the_catalog_says_which_rules_use_a_reward_and_who_holds_a_badge(
    console: Console, server: Server
) -> None:
    tag = uuid.uuid4().hex[:6]
    reward = server.admin.post("/api/rewards", json={"name": f"Tote {tag}", "cost": 10}).json()
    badge = server.admin.post("/api/badges", json={"name": f"Collector {tag}", "repeatable": True}).json()
    rule = server.admin.post(
        "/api/rules",
        json={
            "name": f"Tenth order {tag}",
            "status": "paused",
            "reactions": [{"badge": badge["id"]}, {"reward": reward["id"]}],
        },
    )
    assert rule.status_code == 201, rule.text
    members = [
        server.admin.post("/api/members", json={"identities": [{"value": unique_email("badge")}]}).json()
        for _ in range(2)
    ]
    for member, times in zip(members, (2, 1), strict=True):
        for _ in range(times):
            granted = server.admin.post(f"/api/members/{member['id']}/badges", json={"badge": badge["id"]})
            assert granted.status_code == 201, granted.text
    listed = next(b for b in server.admin.get("/api/badges").json()["items"] if b["id"] == badge["id"])
    assert (listed["holders"], listed["granted"]) == (2, 3)
    console.login()
    page = console.go("/console/rewards")
    reward_row = page.locator("#rewards tr", has_text=f"Tote {tag}")
    expect(reward_row).to_contain_text(f"issued by rule: Tenth order {tag} (paused)")
    badge_row = page.locator("#badges tr", has_text=f"Collector {tag}")
    expect(badge_row).to_contain_text(f"granted by rule: Tenth order {tag} (paused)")
    expect(badge_row.locator("td.num")).to_have_text(["2", "3"])
    console.shot("catalog-used-by")
    badge_row.locator("a", has_text=f"Tenth order {tag}").click()
    expect(page.locator("#r-name")).to_have_value(f"Tenth order {tag}")
    server.admin.delete(f"/api/rules/{rule.json()['id']}")


def test_a_developer_adds_a_webhook_and_reads_its_delivery_log(console: Console, server: Server) -> None:
    with receiving(free_port()) as receiver:
        console.login()
        page = console.go("/console/webhooks")
        page.fill("#url", "ftp://nowhere")
        page.check("input[name='kind_event.processed']")
        page.click("#endpoint-form button[type=submit]")
        expect(page.locator("#form-error")).to_contain_text("url:")
        page.fill("#url", receiver.url)
        page.fill("#description", "CRM")
        page.click("#endpoint-form button[type=submit]")
        secret = page.locator("#endpoint-secret").inner_text()
        assert secret.startswith("whsec_")
        page.click(f"#endpoints a:has-text('{receiver.url}')")
        detail = "/console" + page.url.split("/console", 1)[1]
        page.click("form[action$='/test'] button")
        expect(page.locator(".banner.ok")).to_contain_text("webhook.test")
        receiver.wait_for(1, type="webhook.test")
        receiver.verified(secret)
        page = console.go(detail)  # the log, once tried
        row = page.locator("#messages tr", has_text="webhook.test")
        expect(row).to_contain_text("delivered")
        page.click("#messages a >> nth=0")
        expect(page.locator("#attempt-log")).to_contain_text("HTTP 200")
        page.click("#messages button:has-text('Send again')")
        expect(page.locator(".banner.ok")).to_contain_text("will be sent again")
        again = page.locator("#messages tr", has_text="webhook.test")
        if "pending" in again.inner_text():  # not sent again yet: the 200 shown is the earlier one's
            expect(again).to_contain_text("previous attempt: HTTP 200")
        receiver.wait_for(2, type="webhook.test")
        console.shot("webhook-log")
        page.click("form[action$='/disable'] button")
        expect(page.locator("#endpoint-status")).to_have_text("disabled")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("form[action$='/delete'] button")
        expect(page.locator(".banner.ok")).to_contain_text("Endpoint removed")
