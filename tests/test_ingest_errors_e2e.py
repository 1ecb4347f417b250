"""End to end over real HTTP: refused and failed requests say precisely why, and never 500."""

from __future__ import annotations

import json

from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, unique_email

ORIGIN = "https://shop.example.com"


# --- bodies ---------------------------------------------------------------------------------


def test_a_number_too_large_for_a_float_is_refused_with_its_position(server: Server) -> None:
    # Was: parsed to inf; SQLite stored it and the API emitted invalid JSON, PostgreSQL answered 500.
    connector = create_connector(server.admin)
    body = b'{"id": "big", "email": "a@example.com",\n "counters": {"n": 1e400}}'
    error = assert_error(
        send(server.client, connector, body),
        400,
        "malformed_body",
        "the number 1e400 at line 2, column 20 (character 59) is too large",
    )
    assert error["details"] == {"line": 2, "column": 20}
    beacon = send(server.client, connector, b'[{"n": -1e999}]', headers={"Content-Type": "text/plain"})
    assert_error(beacon, 400, "malformed_body", "the number -1e999 at line 1, column 8")
    assert server.admin.get("/api/events", params={"connector": connector["id"]}).json()["items"] == []


def test_absurdly_nested_bodies_are_refused(server: Server) -> None:
    # Was: RecursionError in parse_body, 500.
    connector = create_connector(server.admin)
    deep = b"[" * 30_000 + b"]" * 30_000
    for content_type in ("application/json", "text/plain", "application/x-ndjson"):
        response = send(server.client, connector, deep, headers={"Content-Type": content_type})
        assert_error(response, 400, "malformed_body", "nested deeper than 100 levels")
    just_too_deep = json.dumps({"id": "d", "x": [[[[]]]]}).replace("[[[[]]]]", "[" * 100 + "]" * 100)
    assert_error(send(server.client, connector, just_too_deep), 400, "malformed_body", "nested deeper")


def test_ndjson_errors_name_the_line_and_the_column_within_it(server: Server) -> None:
    connector = create_connector(server.admin)
    headers = {"Content-Type": "application/x-ndjson"}
    body = b'{"id": "n1", "email": "a@example.com"}\n{"id": "n2",, "email": "b@example.com"}\n'
    error = assert_error(
        send(server.client, connector, body, headers=headers),
        400,
        "malformed_body",
        "line 2 of the NDJSON body is not valid JSON: Expecting property name enclosed in double quotes "
        "at column 13",
    )
    assert error["details"] == {"line": 2, "column": 13}
    assert "character" not in error["message"]
    big = b'{"id": "n1"}\r\n{"n": 1e400}'
    assert_error(
        send(server.client, connector, big, headers=headers),
        400,
        "malformed_body",
        "line 2 of the NDJSON body",
    )
    # A JSON string may hold U+2028 as it is: it does not end an NDJSON line.
    email = unique_email()
    text = json.dumps({"id": "sep", "email": email, "tags": {"t": "a\u2028b"}}, ensure_ascii=False)
    response = send(server.client, connector, text.encode(), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {"processed": 1}


def test_admin_bodies_are_strict_json_too(server: Server) -> None:
    for body in (b'{"name": 1e400}', b"[" * 50_000 + b"]" * 50_000):
        response = server.admin.post("/api/connectors", content=body)
        assert_error(response, 400, "malformed_body")


# --- CORS on refusals -----------------------------------------------------------------------


def test_refusals_to_an_allowed_origin_carry_cors_headers(server: Server) -> None:
    # Was: only the 200 had Access-Control-Allow-Origin, so a browser could not read the error.
    connector = create_connector(server.admin, allowedOrigins=[ORIGIN])
    headers = {"Origin": ORIGIN, "Content-Type": "application/json"}
    cases = {
        400: send(server.client, connector, b"{", headers=headers),
        401: send(server.client, connector, b"{}", headers=headers, token="wrong-token"),
        413: send(server.client, connector, b"[" + b"0," * 40_000 + b"0]", headers=headers),
        415: send(
            server.client, connector, b"<a/>", headers={"Origin": ORIGIN, "Content-Type": "application/xml"}
        ),
    }
    for status, response in cases.items():
        assert response.status_code == status, response.text
        assert response.headers["access-control-allow-origin"] == ORIGIN, status
        assert response.headers["vary"] == "Origin"
        assert "error" in response.json()
    other = send(server.client, connector, b"{", headers={**headers, "Origin": "https://evil.example"})
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers


# --- results --------------------------------------------------------------------------------


def test_every_result_has_every_key(server: Server) -> None:
    # Was: a failed result had no clientEventId and no profile key at all.
    connector = create_connector(server.admin)
    email = unique_email()
    batch = [{"id": "k-1", "email": email}, {"id": "k-2", "email": email, "counters": {"n": "12"}}]
    results = send(server.client, connector, batch).json()["results"]
    keys = {"index", "status", "eventId", "clientEventId", "profile", "reason"}
    for result in results:
        assert keys <= set(result), result
    failed = results[1]
    assert failed["status"] == "failed"
    assert failed["clientEventId"] is None and failed["profile"] is None
    assert failed["eventId"] is not None and failed["reason"]
    assert results[0]["reason"] is None and results[0]["clientEventId"] == "k-1"


def test_a_negative_epoch_timestamp_fails_with_a_precise_reason(server: Server) -> None:
    connector = create_connector(server.admin)
    result = send(server.client, connector, {"id": "neg", "email": unique_email(), "at": -5}).json()[
        "results"
    ][0]
    assert result["status"] == "failed"
    assert "payload.timestamp: -5 is a negative epoch time" in result["reason"]


# --- connector secrets ----------------------------------------------------------------------


def test_a_secret_that_is_not_text_is_refused_not_replaced(server: Server) -> None:
    # Was: silently ignored, and a secret generated in its place.
    base = {"name": "Secrets", "auth": {"method": "query_token"}}
    for value, shown in (
        (123456789, "secret: 123456789 is not a text"),
        (None, "secret: null is not a text"),
    ):
        response = server.admin.post("/api/connectors", json={**base, "secret": value})
        assert_error(response, 422, "invalid_connector", shown)
    response = server.admin.post("/api/connectors", json={**base, "testSecret": 42})
    assert_error(response, 422, "invalid_connector", "testSecret: 42 is not a text")
    before = server.admin.get("/api/connectors").json()["items"]
    assert not [c for c in before if c["name"] == "Secrets"]

    generated = server.admin.post("/api/connectors", json={**base, "testSecret": None})
    assert generated.status_code == 201, generated.text
    assert sorted(c["test"] for c in generated.json()["credentials"]) == [False, True]
    none = server.admin.post("/api/connectors", json={**base, "testSecret": False})
    assert [c["test"] for c in none.json()["credentials"]] == [False]
    given = server.admin.post("/api/connectors", json={**base, "secret": "my-own-token-123"})
    assert [c["value"] for c in given.json()["credentials"]] == ["my-own-token-123"]
