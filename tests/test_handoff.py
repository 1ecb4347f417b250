"""Integration pages: JSON and HTML, no stored secret, and snippets that really work when run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from handoff.redact import redact
from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, token_of, unique_email

AUTHS: dict[str, dict[str, Any]] = {
    "query_token": {"method": "query_token", "param": "key"},
    "header_token": {"method": "header_token", "header": "Authorization", "scheme": "Bearer"},
    "basic": {"method": "basic"},
    "basic-match": {"method": "basic", "password": "match"},
    "github": {"preset": "github"},
    "shopify": {"preset": "shopify"},
    "stripe": {"preset": "stripe"},
    "paddle": {"preset": "paddle", "tolerance_seconds": 300},  # the snippets run slower than 5 s
    "square": {"preset": "square"},  # signs the connector URL: the snippets sign what they post to
    "hubspot": {"preset": "hubspot"},
    "standard-webhooks": {"preset": "standard-webhooks"},
    "slack": {"preset": "slack"},
    "typeform": {"preset": "typeform"},
    "woocommerce": {"preset": "woocommerce"},
    "zendesk": {"preset": "zendesk"},
    "segment": {"preset": "segment"},
    "custom": {
        "method": "hub_signature",
        "header": "X-Sig",
        "algorithm": "sha512",
        "encoding": "base64",
        "prefix": "",
        "timestamp_header": "X-Ts",
        "timestamp_format": "unix_ms",
    },
}

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

LANGUAGES = {
    "python": ([sys.executable], ".py", ()),
    "curl": (["bash"], ".sh", ("bash", "curl", "openssl", "od")),
    "javascript": (["node"], ".js", ("node",)),
}


def page_of(server: Server, connector: dict[str, Any], **params: str) -> dict[str, Any]:
    response = server.admin.get(f"/api/connectors/{connector['id']}/integration", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def _start(key: str, code: str, tmp_path: Path) -> subprocess.Popen[str]:
    command, suffix, _ = LANGUAGES[key.rsplit("/", 1)[-1]]
    tmp_path.mkdir(exist_ok=True)
    script = tmp_path / (key.replace("/", "-") + suffix)
    script.write_text(code)
    return subprocess.Popen(
        [*command, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _outcome(key: str, process: subprocess.Popen[str]) -> tuple[int, int, dict[str, Any]]:
    """(exit code, HTTP status, response JSON) of a snippet run as the sender would run it."""
    stdout, stderr = process.communicate(timeout=60)
    output = stdout.strip()
    if key.endswith("/curl"):  # curl prints the body only; an error body means a refusal
        answer = json.loads(output)
        return process.returncode, 401 if "error" in answer else 200, answer
    status, _, body = output.partition(" ")
    assert status.isdigit(), (key, stdout, stderr)
    return process.returncode, int(status), json.loads(body)


def run_snippets(codes: dict[str, str], tmp_path: Path) -> dict[str, tuple[int, int, dict[str, Any]]]:
    """Start every snippet (keyed "auth/language"), then wait for each."""
    started = {key: _start(key, code, tmp_path) for key, code in codes.items()}
    return {key: _outcome(key, process) for key, process in started.items()}


def _available() -> list[str]:
    return [name for name, (_, _, tools) in LANGUAGES.items() if all(shutil.which(t) for t in tools)]


# The snippets do not depend on the storage backend, so they run against the SQLite server only,
# and all at once: interpreter start-up, not the server, is what takes the time.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_snippet_sends_an_event_that_is_processed(server: Server, tmp_path: Path) -> None:
    languages = _available()
    assert "python" in languages
    right, wrong = {}, {}
    for name, auth in AUTHS.items():
        for language in languages:  # one connector each: the same sample event would be a duplicate
            connector = create_connector(server.admin, auth=auth, mapping="$")
            secret = token_of(connector)
            page = page_of(server, connector)
            code, placeholder = page["snippets"][language], page["auth"]["placeholder"]
            assert secret not in code and placeholder in code
            right[f"{name}/{language}"] = code.replace(placeholder, secret)
            # A wrong secret must be refused: proof that the snippet signs, and that this test would
            # notice. Every auth in Python, every language once (a run costs an interpreter start).
            if language == "python" or name == "stripe":
                bad = "whsec_" + "A" * 43 + "=" if name == "standard-webhooks" else "wrong-" + secret
                wrong[f"{name}/{language}"] = code.replace(placeholder, bad)
    refused = run_snippets(wrong, tmp_path / "wrong")
    accepted = run_snippets(right, tmp_path / "right")
    problems = [
        f"{key} with a wrong secret: {answer}"
        for key, (_, status, answer) in refused.items()
        if status != 401 or answer["error"]["code"] not in ("invalid_token", "invalid_signature")
    ]
    problems += [
        f"{key}: exit {exit_code}, {answer}"
        for key, (exit_code, status, answer) in accepted.items()
        if (exit_code, status) != (0, 200) or [r["status"] for r in answer["results"]] != ["processed"]
    ]
    assert not problems, "\n".join(problems)
    assert len(accepted) == len(AUTHS) * len(languages)


def test_node_snippets_are_checked_when_node_is_missing(server: Server) -> None:
    """Without node on the machine the JavaScript can only be read: check its signing lines."""
    connector = create_connector(server.admin, auth={"preset": "slack"})
    code = page_of(server, connector)["snippets"]["javascript"]
    assert 'const signed = "v0:" + timestamp + ":" + body;' in code
    assert 'crypto.createHmac("sha256", key).update(signed, "utf8").digest("hex")' in code
    assert '"X-Slack-Signature": "v0=" + signature' in code
    assert '"X-Slack-Request-Timestamp": timestamp' in code


def test_the_page_never_holds_a_stored_secret(server: Server) -> None:
    secret = "whsec_do-not-print-me-0123456789"
    connector = create_connector(server.admin, auth={"preset": "stripe"}, secret=secret, testSecret=True)
    test_secret = token_of(connector, test=True)
    pages = [
        server.admin.get(f"/api/connectors/{connector['id']}/integration{suffix}").text
        for suffix in ("", ".json", ".html")
    ]
    for text in pages:
        assert secret not in text and test_secret not in text
        assert "&lt;YOUR_TEST_SECRET&gt;" in text or "<YOUR_TEST_SECRET>" in text


def test_html_by_accept_header_and_by_suffix_and_as_download(server: Server) -> None:
    connector = create_connector(server.admin, name="Shop <orders> & co", auth={"preset": "shopify"})
    base = f"/api/connectors/{connector['id']}/integration"
    browser = server.admin.get(base, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    suffixed = server.admin.get(base + ".html")
    for response in (browser, suffixed):
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        text = response.text
        assert "Shop &lt;orders&gt; &amp; co" in text and "Shop <orders>" not in text  # escaped
        assert connector["url"] in text and "X-Shopify-Hmac-Sha256" in text and "<script" not in text
        assert "Content-Disposition" not in response.headers
    download = server.admin.get(base + ".html", params={"download": "1"})
    assert download.headers["content-disposition"] == (
        f'attachment; filename="inbound-{connector["id"]}-integration.html"'
    )
    as_json = server.admin.get(base + ".json", params={"download": "true"})
    assert as_json.headers["content-disposition"].endswith('integration.json"')
    assert as_json.json()["connector"]["id"] == connector["id"]


def test_the_page_describes_the_auth_method(server: Server) -> None:
    connector = create_connector(server.admin, auth={"preset": "standard-webhooks"})
    page = page_of(server, connector)
    assert page["auth"]["method"] == "hub_signature"
    assert page["auth"]["settings"]["preset"] == "standard-webhooks"
    steps = " ".join(page["auth"]["steps"])
    assert "{id}.{timestamp}.{body}" in steps and "whsec_" in steps and "300 seconds" in steps
    assert page["auth"]["preset"]["vendor"] == "Standard Webhooks / Svix"
    assert "base64.b64decode" in page["snippets"]["python"]
    assert 'Buffer.from(SECRET.replace(/^whsec_/, ""), "base64")' in page["snippets"]["javascript"]
    assert page["request"]["url"] == connector["url"]


def test_a_fresh_connector_gets_a_made_up_example_that_its_own_mapping_credits(server: Server) -> None:
    connector = create_connector(server.admin)  # tests.helpers.SIMPLE_MAPPING: id, email, at, tags…
    page = page_of(server, connector)
    example = page["example"]
    assert example["source"] == "sample" and example["warnings"] == []
    # Built from the fields the mapping reads, not the mapped-event contract.
    assert example["rawEvent"] != page["mappedEventContract"]["example"]
    assert example["rawEvent"]["email"] == "ann@example.com"
    assert example["mappedEvents"][0]["profile"] == {"kind": "default", "value": "ann@example.com"}
    expected = page["expectedPayload"]
    assert expected["source"] == "mapping" and expected["profileFields"] == ["email"]
    read = {f["path"]: f for f in expected["fieldsRead"]}
    assert set(read) == {"id", "email", "at", "tags", "counters"}
    assert read["email"]["usedFor"] == "profile.value" and read["id"]["usedFor"] == "clientEventId"
    assert expected["schema"]["properties"]["email"] == {"type": "string"}
    assert "ann@example.com" not in json.dumps(expected)  # a shape: names and types, no values
    html = server.admin.get(f"/api/connectors/{connector['id']}/integration.html").text
    assert "Expected payload" in html and "Fields the mapping reads" in html and "profile.value" in html


def _shopify_connector(server: Server, **overrides: Any) -> dict[str, Any]:
    spec = json.loads((EXAMPLES / "shopify-orders-create" / "example.json").read_text())
    body = {key: value for key, value in spec["connector"].items() if key != "secret"}
    connector = create_connector(server.admin, **{**body, **overrides})
    for rule in spec["rules"]:
        rule = {**rule, "source": {"connector": connector["id"]}}
        assert server.admin.post("/api/rules", json=rule).status_code == 201
    return connector


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_shopify_snippets_send_an_example_that_is_processed_and_earns(server: Server, tmp_path: Path) -> None:
    """A typical mapping (examples/shopify-orders-create): the default page's example is credited."""
    codes: dict[str, str] = {}
    for language in _available():  # one connector each: the same example would be a duplicate
        connector = _shopify_connector(server)
        page = page_of(server, connector)
        assert page["example"]["source"] == "sample" and page["example"]["warnings"] == []
        mapped = page["example"]["mappedEvents"]
        assert [m["profile"]["value"] for m in mapped] == ["ann@example.com"]
        read = {f["path"]: f for f in page["expectedPayload"]["fieldsRead"]}
        assert read["customer.email"]["usedFor"] == "profile.value"
        assert read["total_price"]["usedFor"] == "counter amount"
        assert read["line_items.quantity"]["list"] == "line_items"
        items = page["expectedPayload"]["schema"]["properties"]["line_items"]
        assert items["type"] == "array" and "quantity" in items["items"]["properties"]
        codes[f"shopify/{language}"] = page["snippets"][language].replace(
            page["auth"]["placeholder"], token_of(connector)
        )
    outcomes = run_snippets(codes, tmp_path)
    for key, (exit_code, status, answer) in outcomes.items():
        assert (exit_code, status) == (0, 200), (key, answer)
        [result] = answer["results"]
        assert result["status"] == "processed", (key, result)
        assert result["awards"][0]["points"] > 0, (key, result)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_test_secret_section_and_a_test_run_that_can_be_purged(server: Server, tmp_path: Path) -> None:
    connector = _shopify_connector(server, testSecret=True)
    page = page_of(server, connector)
    testing = page["testing"]
    assert testing["testCredential"] is True and testing["mode"] == "live"
    steps = " ".join(testing["steps"])
    assert "test secret" in steps and "<YOUR_TEST_SECRET>" in steps and '"test": true' in steps
    assert f"/api/connectors/{connector['id']}/purge-test-data" in steps
    assert token_of(connector, test=True) not in json.dumps(page)
    html = server.admin.get(f"/api/connectors/{connector['id']}/integration.html").text
    assert "Trying it with test data" in html and "purge-test-data" in html
    # Every example names the test secret, so running it as given writes purgeable test data
    # (it named "the connector's secret": the live one, and live events of a made-up member).
    assert page["auth"]["placeholder"] == "<YOUR_TEST_SECRET>"
    for snippet in page["snippets"].values():
        assert "<YOUR_TEST_SECRET>" in snippet and "the connector's test secret" in snippet, snippet
    # The sender's run with the test secret: processed, as test data, and purgeable.
    code = page["snippets"]["python"].replace(page["auth"]["placeholder"], token_of(connector, test=True))
    exit_code, status, answer = run_snippets({"test/python": code}, tmp_path)["test/python"]
    assert (exit_code, status, answer["test"]) == (0, 200, True), answer
    assert answer["results"][0]["status"] == "processed"
    purged = server.admin.post(f"/api/connectors/{connector['id']}/purge-test-data")
    assert purged.status_code == 200 and purged.json()["purged"]["events"] == 1
    # Without a test credential the page says how to get one; in test mode, that all is test data.
    plain = page_of(server, create_connector(server.admin))["testing"]
    assert plain["testCredential"] is False and '{"test": true}' in " ".join(plain["steps"])
    assert "<YOUR_TEST_TOKEN>" in " ".join(plain["steps"])
    trial = page_of(server, create_connector(server.admin, mode="test"))["testing"]
    assert "test mode" in trial["summary"]


def test_an_example_that_would_not_be_processed_says_why(server: Server) -> None:
    unfindable = create_connector(server.admin, mapping='{"profile": {"value": $lookup($, "m_" & kind)}}')
    example = page_of(server, unfindable)["example"]
    assert example["mappedEvents"][0]["profile"]["value"] is None
    assert any(w.startswith("This example would be ignored") for w in example["warnings"])
    html = server.admin.get(f"/api/connectors/{unfindable['id']}/integration.html").text
    assert "This example would be ignored" in html
    no_amount = create_connector(
        server.admin, eventType="ecommerce.purchase", mapping='{"profile": {"value": email}}'
    )
    warnings = page_of(server, no_amount)["example"]["warnings"]
    assert any(w.startswith("This example would be rejected") and "amount" in w for w in warnings)


def test_real_data_only_on_request_and_with_personal_data_replaced(server: Server) -> None:
    connector = create_connector(server.admin)  # tests.helpers.SIMPLE_MAPPING
    email = unique_email()
    raw = {
        "id": "ord-1",
        "email": email,
        "counters": {"total": 12},
        "customer": {"first_name": "Ann", "last_name": "Peeters", "phone": "+32 470 12 34 56"},
    }
    assert send(server.client, connector, raw).status_code == 200
    default = page_of(server, connector)
    assert default["example"]["source"] == "sample"
    text = json.dumps(default)
    assert email not in text and "Peeters" not in text and "470 12 34" not in text
    # The expected shape comes from the real event, field names and types only.
    shape = default["expectedPayload"]
    assert shape["source"] == "latest_event"
    assert shape["schema"]["properties"]["customer"]["properties"]["phone"] == {"type": "string"}
    latest = page_of(server, connector, example="latest")
    example = latest["example"]
    assert example["source"] == "latest_event"
    text = json.dumps(latest)
    assert email not in text and "Peeters" not in text and "470 12 34" not in text
    replaced = {"email", "customer.first_name", "customer.last_name", "customer.phone"}
    assert set(example["redacted"]) == replaced
    assert example["rawEvent"]["id"] == "ord-1" and example["rawEvent"]["counters"] == {"total": 12}
    assert example["mappedEvents"][0]["profile"]["value"] == "person1@example.com"
    assert "person1@example.com" in latest["snippets"]["python"]
    assert "latest real event" in example["warnings"][0]
    # The mapping changes: the page maps the same example with the new one, and shows its error.
    mapping = '{"profile": {"value": email}, "payload": {"counters": [{"name": "n", "value": "x"}]}}'
    assert (
        server.admin.patch(f"/api/connectors/{connector['id']}", json={"mapping": mapping}).status_code == 200
    )
    page = page_of(server, connector, example="latest")
    assert page["mapping"] == {"expression": mapping, "version": 2}
    assert page["example"]["mappedEvents"] == []
    assert page["example"]["errors"][0]["code"] == "mapping_shape_error"
    assert "payload.counters[0].value" in page["example"]["errors"][0]["message"]
    assert any("would fail" in w for w in page["example"]["warnings"])


def test_redaction_keeps_order_names_and_ids() -> None:
    spec = json.loads((EXAMPLES / "shopify-orders-create" / "example.json").read_text())
    raw = json.loads(spec["requests"][0]["bodyText"])
    redacted, paths = redact(raw)
    assert "Ann.Shopify@Example.com" not in json.dumps(redacted) and "Peeters" not in json.dumps(redacted)
    assert redacted["email"] == redacted["customer"]["email"] == "person1@example.com"  # one profile
    assert (redacted["name"], redacted["id"]) == ("#1042", raw["id"])
    assert redacted["line_items"] == raw["line_items"]
    assert "customer.first_name" in paths and "name" not in paths


def test_a_saved_sample_is_the_example_even_after_events_arrive(server: Server) -> None:
    connector = create_connector(server.admin)
    body = {"id": "s-1", "email": "sample@example.com"}
    sample = {"name": "first order", "body": body, "headers": {"x-shop": "acme"}}
    assert server.admin.post(f"/api/connectors/{connector['id']}/samples", json=sample).status_code == 201
    saved = page_of(server, connector)["example"]
    # Redacted like the latest event (the page cannot tell a made-up sample from a real one).
    redacted = {"id": "s-1", "email": "person1@example.com"}
    assert (saved["source"], saved["sampleName"]) == ("saved_sample", "first order")
    assert saved["rawEvent"] == redacted
    assert saved["redacted"] == ["email"] and "saved sample “first order”" in saved["warnings"][0]
    assert saved["headers"] == {}  # the mapping reads no header: x-shop is not the sender's concern
    assert saved["mappedEvents"][0]["profile"]["value"] == "person1@example.com"
    html = server.admin.get(f"/api/connectors/{connector['id']}/integration.html").text
    assert "the saved sample “first order”" in html and "x-shop" not in html
    real = unique_email()
    assert send(server.client, connector, {"id": "e-1", "email": real}).status_code == 200
    page = page_of(server, connector)
    assert page["example"]["source"] == "saved_sample" and real not in json.dumps(page)
    assert page["expectedPayload"]["source"] == "saved_sample"
    assert page_of(server, connector, example="latest")["example"]["source"] == "latest_event"
    made_up = page_of(server, connector, example="sample")["example"]
    assert made_up["source"] == "sample"
    assert made_up["mappedEvents"][0]["profile"]["value"] == "ann@example.com"


def test_errors_are_json_and_name_the_field(server: Server) -> None:
    connector = create_connector(server.admin)
    base = f"/api/connectors/{connector['id']}/integration"
    assert_error(server.client.get(base), 401, "admin_unauthorized")
    assert_error(
        server.admin.get("/api/connectors/con_nope/integration.html"), 404, "unknown_connector", "con_nope"
    )
    assert_error(
        server.admin.get(base, params={"example": "old"}),
        422,
        "invalid_parameter",
        "example",
        "'old'",
        "saved, sample, latest",
    )
    assert_error(server.admin.get(base, params={"download": "maybe"}), 422, "invalid_parameter", "download")


HEADER_MAPPING = """{
  "clientEventId": id,
  "profile": {"value": email},
  "payload": {"tags": [
    {"name": "shop", "value": $headers."x-shop"},
    {"name": "source", "value": $query.src},
    {"name": "host", "value": $headers.host}
  ]}
}"""


def test_a_sample_saved_from_a_real_event_shows_only_what_the_mapping_reads_and_no_personal_data(
    server: Server,
) -> None:
    connector = create_connector(server.admin, mapping=HEADER_MAPPING)
    email = unique_email()
    response = server.client.post(
        f"/ingest/{connector['id']}",
        params={"token": token_of(connector), "src": "newsletter", "utm": "x"},
        json={"id": "ord-7", "email": email},
        headers={"X-Shop": "acme", "X-Trace": "t-1", "User-Agent": "shop/1.0", "Accept": "*/*"},
    )
    assert response.json()["results"][0]["status"] == "processed", response.text
    event_id = response.json()["results"][0]["eventId"]
    sample = {"name": "from a real order", "eventId": event_id}
    saved = server.admin.post(f"/api/connectors/{connector['id']}/samples", json=sample)
    assert saved.status_code == 201, saved.text
    assert {"host", "user-agent", "x-trace"} <= set(saved.json()["headers"])  # the sample keeps them all
    page = page_of(server, connector)
    example = page["example"]
    assert example["source"] == "saved_sample"
    # Only what the mapping reads, never transport headers (the mapping reads host, yet it is not shown).
    assert (example["headers"], example["query"]) == ({"x-shop": "acme"}, {"src": "newsletter"})
    assert any("add the headers" in w for w in example["warnings"])
    # The member's data is replaced, on the page and in the snippets, JSON and HTML alike.
    html = server.admin.get(f"/api/connectors/{connector['id']}/integration.html").text
    assert email not in json.dumps(page) and email not in html
    assert example["rawEvent"] == {"id": "ord-7", "email": "person1@example.com"}
    assert example["redacted"] == ["email"]
    assert "Values that look like personal data" in example["warnings"][0]
    assert example["mappedEvents"][0]["profile"]["value"] == "person1@example.com"
    for hidden in ("user-agent", "shop/1.0", "x-trace", "utm"):
        assert hidden not in json.dumps(example) and hidden not in html, hidden
    # A mapping that reads no header or query parameter: none shown, no warning to add them.
    simple = {"mapping": '{"clientEventId": id, "profile": {"value": email}}', "acceptSampleChanges": True}
    assert server.admin.patch(f"/api/connectors/{connector['id']}", json=simple).status_code == 200
    example = page_of(server, connector)["example"]
    assert (example["headers"], example["query"]) == ({}, {})
    assert not any("add the headers" in w for w in example["warnings"])
    # One that reads the headers as a whole may need any of them, except transport ones.
    whole = {
        "mapping": '{"profile": {"value": email}, '
        '"payload": {"tags": [{"name": "n", "value": $string($keys($headers))}]}}',
        "acceptSampleChanges": True,
    }
    assert server.admin.patch(f"/api/connectors/{connector['id']}", json=whole).status_code == 200
    example = page_of(server, connector)["example"]
    assert set(example["headers"]) == {"x-shop", "x-trace"} and example["query"] == {}


def test_a_form_signing_sender_gets_a_note_not_a_snippet(server: Server) -> None:
    connector = create_connector(server.admin, auth={"preset": "twilio"}, secret="twilio-auth-token-1")
    page = page_of(server, connector)
    for language in ("curl", "python", "javascript"):
        assert "Twilio signs its own requests" in page["snippets"][language]
