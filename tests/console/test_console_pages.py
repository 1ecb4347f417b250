"""Console pages beyond the main story, in Chromium: credentials, auth, purge, replay, the
overview's click-through, and form errors shown next to their field."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Dialog, expect

from tests.conftest import Server
from tests.console.conftest import Console
from tests.helpers import SIMPLE_MAPPING, create_connector, send, token_of, unique_email

pytestmark = pytest.mark.browser


def _event(email: str, amount: float = 10) -> dict[str, object]:
    return {
        "id": "e-" + uuid.uuid4().hex[:10],
        "email": email,
        "at": datetime.now(UTC).isoformat(),
        "tags": {"channel": "web"},
        "counters": {"amount": amount},
    }


def test_credentials_auth_and_test_data_are_managed_from_the_connector_page(
    console: Console, server: Server
) -> None:
    connector = create_connector(server.admin, name="Managed", testSecret=True)
    email = unique_email("purge")
    assert (
        send(server.client, connector, _event(email), token=token_of(connector, test=True)).status_code == 200
    )
    console.login()
    page = console.go(f"/console/connectors/{connector['id']}")

    # A new test credential is shown once, in full; the list shows it masked.
    page.select_option("select[name=test]", "true")
    page.click("button:has-text('Add credential')")
    value = page.locator("#new-credential-value").inner_text()
    assert len(value) >= 16
    added = [c for c in server.admin.get(f"/api/connectors/{connector['id']}/credentials").json()["items"]]
    new = next(
        c
        for c in added
        if c["test"]
        and value.startswith(c["value"].removesuffix("…"))
        and c["id"] != connector["credentials"][1]["id"]
    )
    assert new["test"] is True
    console.go(f"/console/connectors/{connector['id']}")
    assert value not in page.content()

    # Revoking asks first, then the sender's credential stops working.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"form[action$='/credentials/{new['id']}/revoke'] button")
    expect(page.locator(".banner.ok")).to_contain_text(f"Credential {new['id']} revoked")
    assert send(server.client, connector, _event(email), token=value).status_code == 401

    # Bad auth settings: the API's message, next to the field.
    page.fill("#auth", '{"method": "header_token", "header": ""}')
    page.click("button:has-text('Save authentication')")
    expect(page.locator("#form-error")).to_contain_text("auth")
    expect(page.locator("#auth")).to_have_attribute("aria-invalid", "true")
    page.fill("#auth", '{"method": "header_token", "header": "X-Shop-Token"}')
    page.click("button:has-text('Save authentication')")
    expect(page.locator(".banner.ok")).to_contain_text("Authentication saved")
    assert server.admin.get(f"/api/connectors/{connector['id']}").json()["auth"]["header"] == "X-Shop-Token"

    # Purge asks first, then says what went.
    dismissed: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dismissed.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("button:has-text('Purge test data')")
    assert "Purge all test data of Managed" in dismissed[0]
    assert server.admin.get(f"/api/events?connector={connector['id']}&test=true").json()["items"]
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Purge test data')")
    expect(page.locator(".banner.ok")).to_contain_text("Test data purged: 1 events")
    assert server.admin.get(f"/api/events?connector={connector['id']}&test=true").json()["items"] == []
    console.shot("connector-managed")


def test_failed_events_are_replayed_from_the_stream_after_a_preview(console: Console, server: Server) -> None:
    broken = SIMPLE_MAPPING.replace('"value": email', '"value": $number(email)')
    connector = create_connector(server.admin, name="Replayed", mapping=broken)
    server.admin.post(
        "/api/rules",
        json={
            "name": "Replayed: 4",
            "status": "active",
            "source": {"connector": connector["id"]},
            "reward": {"fixed": 4},
        },
    )
    email = unique_email("replay")
    answer = send(server.client, connector, _event(email)).json()
    assert answer["results"][0]["status"] == "failed"
    fixed = server.admin.patch(f"/api/connectors/{connector['id']}", json={"mapping": SIMPLE_MAPPING})
    assert fixed.status_code == 200, fixed.text

    console.login()
    page = console.go(f"/console/events?connector={connector['id']}&status=failed")
    expect(page.locator("#events-table")).to_contain_text("failed")
    page.click("summary:has-text('Replay')")
    page.click("button:has-text('Preview replay')")
    result = page.locator("#replay-result")
    expect(result).to_contain_text("Preview")
    expect(result).to_contain_text("+4")
    assert server.admin.get(f"/api/events?connector={connector['id']}&status=processed").json()["items"] == []
    console.shot("replay-preview")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Apply replay')")
    expect(result).to_contain_text("Applied")
    processed = server.admin.get(f"/api/events?connector={connector['id']}&status=processed").json()["items"]
    assert len(processed) == 1 and processed[0]["replayOf"] == answer["results"][0]["eventId"]


def test_the_overview_charts_open_the_list_behind_them(console: Console, server: Server) -> None:
    connector = create_connector(server.admin, name="Charted")
    for _ in range(3):
        assert send(server.client, connector, _event(unique_email("chart"))).status_code == 200
    # A member registers: Inbound reports REGISTERED_ACCOUNT itself, shown as Inbound's own event.
    assert server.admin.post("/api/members", json={"identities": [{"value": unique_email("reg")}]}).is_success
    registered = {"connector": "type:REGISTERED_ACCOUNT"}
    deadline = time.monotonic() + 10
    while not server.admin.get("/api/events", params=registered).json()["items"]:
        assert time.monotonic() < deadline, "REGISTERED_ACCOUNT was not reported"
        time.sleep(0.1)
    console.login()
    page = console.go("/console/")
    legend = page.evaluate(
        "(id) => Chart.getChart('chart-events').data.datasets.find((d) => d.key === id).label",
        connector["id"],
    )
    assert legend == "Charted"  # the legend names the connector, as the marketer named it
    inbound_own = page.evaluate(
        "(id) => Chart.getChart('chart-events').data.datasets.find((d) => d.key === id).label",
        "type:REGISTERED_ACCOUNT",
    )
    assert inbound_own == "Inbound: registered account"
    point = page.evaluate(
        """(connector) => {
            const chart = Chart.getChart("chart-events");
            const index = chart.data.datasets.findIndex((d) => d.key === connector);
            // Only this connector's bars, as its legend entry alone shows them: earlier tests' events
            // in the same minute would leave its part of the stacked bar too thin to click.
            chart.data.datasets.forEach((d, i) => chart.setDatasetVisibility(i, i === index));
            chart.update("none");
            const data = chart.data.datasets[index].data;
            const last = data.map((v, i) => [v, i]).filter(([v]) => v > 0).pop()[1];
            const element = chart.getDatasetMeta(index).data[last];
            const box = chart.canvas.getBoundingClientRect();
            // The middle of this connector's part of the stacked bar.
            return {x: box.left + element.x, y: box.top + (element.y + element.base) / 2};
        }""",
        connector["id"],
    )
    page.mouse.click(point["x"], point["y"])
    expect(page).to_have_url(re.compile(rf"/console/events\?connector={connector['id']}&since=.*&until=.*"))
    rows = page.locator("#events-table tbody tr")
    expect(rows).to_have_count(3)


def test_the_wizard_shows_the_apis_message_next_to_the_field(console: Console, server: Server) -> None:
    console.login()
    page = console.go("/console/connectors/new?auth=query_token")
    page.fill("#name", "Bad param")
    page.fill("#param", "bad param!")
    page.click("button:has-text('Create connector')")
    expect(page.locator("#form-error")).to_contain_text("auth.param")
    expect(page.locator("#param")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-error-note")).to_be_visible()
    # What was typed is kept.
    expect(page.locator("#name")).to_have_value("Bad param")
    page.fill("#param", "t")
    page.click("button:has-text('Create connector')")
    expect(page.locator("h1")).to_contain_text("Bad param is ready")


def test_the_wizard_sets_up_a_cdp_sdk_connector(console: Console, server: Server) -> None:
    console.login()
    page = console.go("/console/connectors/new")
    page.check("input[value=basic]")
    page.click("button:has-text('Next')")
    page.fill("#name", "Segment SDK")
    page.click("button:has-text('Create connector')")
    expect(page.locator("main")).to_contain_text("write key")
    connector_id = page.locator("#url").inner_text().rsplit("/", 1)[1]
    assert server.admin.get(f"/api/connectors/{connector_id}").json()["auth"]["method"] == "basic"


def test_the_wizard_offers_the_sdk_presets(console: Console, server: Server) -> None:
    console.login()
    page = console.go("/console/connectors/new")
    page.check("input[value='preset:jitsu']")
    page.click("button:has-text('Next')")
    expect(page.locator("main")).to_contain_text("Authentication: Jitsu")
    page.fill("#name", "Jitsu site")
    page.click("button:has-text('Create connector')")
    assert ":" in page.locator("#cred-1").inner_text()  # Jitsu takes only key:secret write keys
    connector_id = page.locator("#url").inner_text().rsplit("/", 1)[1]
    auth = server.admin.get(f"/api/connectors/{connector_id}").json()["auth"]
    assert auth["method"] == "header_token" and auth["header"] == "X-Write-Key"


def test_a_marketer_key_logs_in_with_its_role_and_its_writes_are_audited(
    console: Console, server: Server
) -> None:
    # An owner makes a marketer's key in the console.
    console.login()
    page = console.go("/console/admin")
    page.fill("input[name=name]", "Mia (marketing)")
    page.select_option("select[name=role]", "marketer")
    page.click("button:has-text('Make a key')")
    token = page.locator("#new-key-token").inner_text()
    assert token.startswith("adk_")
    console.shot("admin-keys")
    page.click("button:has-text('Log out')")
    # Mia logs in with it: her role shows, she may write rules and not connectors.
    page.fill("#token", token)
    page.fill("#name", "Mia")
    page.click("button[type=submit]")
    expect(page.locator("nav .who")).to_contain_text("(marketer)")
    connector = create_connector(server.admin, name="Marketer cannot")
    console.go(f"/console/connectors/{connector['id']}")
    page.click("button:has-text('Disable')")
    expect(page.locator("#form-error")).to_contain_text("admin_forbidden")
    assert server.admin.get(f"/api/connectors/{connector['id']}").json()["status"] == "active"
    console.go("/console/members")
    key_id = next(
        k["id"] for k in server.admin.get("/api/admin-keys").json()["items"] if k["name"] == "Mia (marketing)"
    )
    profile = send(server.client, connector, {"id": "mk1", "email": unique_email()}).json()["results"][0][
        "profile"
    ]
    console.go(f"/console/members/{profile['id']}")
    page.fill("#points", "5")
    page.fill("#reason", "welcome gift")
    page.click("button:has-text('Adjust')")
    expect(page.locator("#balance")).to_contain_text("5")
    audit = server.admin.get(f"/api/audit?key={key_id}").json()["items"]
    assert [(a["method"], a["path"]) for a in audit] == [
        ("POST", f"/api/profiles/{profile['id']}/adjustments")
    ]
    assert audit[0]["key"]["name"] == "Mia (marketing)"
    # Revoked: her console session ends at the next page.
    assert server.admin.delete(f"/api/admin-keys/{key_id}").status_code == 204
    page = console.go("/console/rules")
    expect(page).to_have_url(re.compile(r"/console/login\?.*why=revoked"))


def test_a_rules_window_is_picked_in_the_programs_time_zone(console: Console, server: Server) -> None:
    console.login()
    page = console.go("/console/rules/new")

    def picked(call: str) -> str:
        return str(page.evaluate(f"window.inboundRuleTimes.{call}"))

    # The offset is that of the picked date: summer and winter time in Brussels.
    assert picked("fromPicker('2026-07-01T00:00', 'Europe/Brussels')") == "2026-07-01T00:00:00+02:00"
    assert picked("fromPicker('2026-12-01T00:00', 'Europe/Brussels')") == "2026-12-01T00:00:00+01:00"
    assert picked("toPicker('2026-06-30T22:00:00Z', 'Europe/Brussels')") == "2026-07-01T00:00"
    assert picked("toPicker('2026-11-30T23:00:00Z', 'Europe/Brussels')") == "2026-12-01T00:00"
    name = f"Black Friday {uuid.uuid4().hex[:6]}"
    page.fill("#r-name", name)
    page.fill("#r-from", "2026-11-16T00:00")
    page.fill("#r-until", "2026-11-30T00:00")
    expect(page.locator("#r-json")).to_have_value(re.compile('"active_from": "2026-11-16T00:00:00\\+00:00"'))
    page.click("button:has-text('Create rule')")
    expect(page.locator(".banner.ok")).to_contain_text("Saved")
    rule = next(r for r in server.admin.get("/api/rules").json()["items"] if r["name"] == name)
    assert rule["active_from"].startswith("2026-11-16T00:00:00") and rule["active_until"].startswith(
        "2026-11-30"
    )
    page = console.go(f"/console/rules/{rule['id']}")
    expect(page.locator("#r-from")).to_have_value("2026-11-16T00:00")
    server.admin.delete(f"/api/rules/{rule['id']}")


def test_a_window_with_seconds_keeps_them_when_saved_from_the_form(console: Console, server: Server) -> None:
    console.login()
    page = console.go("/console/rules/new")

    def picked(call: str) -> str:
        return str(page.evaluate(f"window.inboundRuleTimes.{call}"))

    assert picked("toPicker('2026-06-30T22:00:30Z', 'Europe/Brussels')") == "2026-07-01T00:00:30"
    assert picked("fromPicker('2026-07-01T00:00:30', 'Europe/Brussels')") == "2026-07-01T00:00:30+02:00"
    created = server.admin.post(
        "/api/rules",
        json={
            "name": f"Flash sale {uuid.uuid4().hex[:6]}",
            "reward": {"fixed": 5},
            "active_from": "2026-11-16T09:00:30Z",
            "active_until": "2026-11-16T10:00:00Z",
        },
    )
    assert created.status_code == 201, created.text
    rule = created.json()
    page = console.go(f"/console/rules/{rule['id']}")
    expect(page.locator("#r-from")).to_have_value("2026-11-16T09:00:30")
    expect(page.locator("#r-until")).to_have_value("2026-11-16T10:00")
    page.fill("#r-name", rule["name"] + " (edited)")  # the form sends the whole rule again
    page.click("button:has-text('Save a new version')")
    expect(page.locator(".banner.ok")).to_contain_text("Saved")
    saved = server.admin.get(f"/api/rules/{rule['id']}").json()
    assert saved["name"] == rule["name"] + " (edited)"
    assert saved["active_from"].startswith("2026-11-16T09:00:30"), saved["active_from"]
    assert saved["active_until"].startswith("2026-11-16T10:00:00"), saved["active_until"]
    server.admin.delete(f"/api/rules/{rule['id']}")
