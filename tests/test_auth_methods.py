"""The three auth methods: settings, rotation, refusal codes, garbage input (pure: no DB, no HTTP)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.auth import (
    PRESETS,
    REFUSAL_CODES,
    AuthSettings,
    Credential,
    SignedRequest,
    authenticate,
    check_secret,
    describe,
    generate_secret,
    parse_auth_settings,
    sign,
    to_json,
)
from errors import AuthenticationFailed, InvalidInput

T0 = 1_700_000_000.0
BODY = b'{"email":"ann@example.com","points":3}'


def cred(value: str, id: str = "cred_1", *, test: bool = False) -> Credential:
    return Credential(id=id, value=value, created_at=datetime(2026, 1, 1, tzinfo=UTC), test=test)


def run(
    settings: AuthSettings,
    credentials: list[Credential],
    signed: SignedRequest | None = None,
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: bytes = BODY,
    now: float = T0,
) -> Credential:
    all_headers = {k.lower(): v for k, v in {**(signed.headers if signed else {}), **(headers or {})}.items()}
    all_query = {**(signed.query if signed else {}), **(query or {})}
    return authenticate(settings, credentials, headers=all_headers, query=all_query, body=body, now=now)


def refused(code: str, *args: Any, **kwargs: Any) -> AuthenticationFailed:
    with pytest.raises(AuthenticationFailed) as caught:
        run(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


# --- query_token ---------------------------------------------------------------------------------


def test_query_token_default_param_is_token() -> None:
    settings = parse_auth_settings({"method": "query_token"})
    assert run(settings, [cred("s3cret-token")], query={"token": "s3cret-token"}).id == "cred_1"


def test_query_token_custom_param_and_missing_or_wrong_token() -> None:
    settings = parse_auth_settings({"method": "query_token", "param": "t"})
    creds = [cred("s3cret-token")]
    assert run(settings, creds, query={"t": "s3cret-token"}).id == "cred_1"
    refused("missing_token", settings, creds, query={"token": "s3cret-token"})
    refused("missing_token", settings, creds, query={"t": "  "})
    error = refused("invalid_token", settings, creds, query={"t": "s3cret-tokem"})
    assert "s3cret" not in error.message and "'t'" in error.message


def test_rotation_accepts_each_active_credential_and_reports_which() -> None:
    settings = parse_auth_settings({"method": "query_token"})
    creds = [cred("old-token-value", "cred_old"), cred("new-token-value", "cred_new", test=True)]
    assert run(settings, creds, query={"token": "old-token-value"}).id == "cred_old"
    matched = run(settings, creds, query={"token": "new-token-value"})
    assert matched.id == "cred_new" and matched.test is True
    refused("invalid_token", settings, creds[1:], query={"token": "old-token-value"})  # the old one revoked


def test_no_active_credentials() -> None:
    for data in ({"method": "query_token"}, {"method": "hub_signature", "preset": "github"}):
        refused("no_active_credentials", parse_auth_settings(data), [], query={"token": "x"})


# --- header_token --------------------------------------------------------------------------------


def test_header_token_default_header() -> None:
    settings = parse_auth_settings({"method": "header_token"})
    assert describe(settings)["header"] == "X-Authorization"
    assert run(settings, [cred("tok-123456")], headers={"x-authorization": "tok-123456"}).id == "cred_1"
    refused("missing_token", settings, [cred("tok-123456")], headers={"authorization": "tok-123456"})
    refused("invalid_token", settings, [cred("tok-123456")], headers={"x-authorization": "Bearer tok-123456"})


def test_header_token_scheme_is_case_insensitive_and_required() -> None:
    settings = parse_auth_settings({"method": "header_token", "header": "Authorization", "scheme": "Bearer"})
    creds = [cred("tok-123456")]
    for value in ("Bearer tok-123456", "bearer tok-123456", "BEARER   tok-123456  ", "Bearer\ttok-123456"):
        assert run(settings, creds, headers={"authorization": value}).id == "cred_1"
    for value in ("tok-123456", "Basic tok-123456", "Bearer", "Bearertok-123456"):
        error = refused("invalid_token", settings, creds, headers={"authorization": value})
        assert "tok-123456" not in error.message
    refused("invalid_token", settings, creds, headers={"authorization": "Bearer tok-1234567"})
    refused("missing_token", settings, creds, headers={})


def test_header_names_from_a_careless_caller_still_match() -> None:
    settings = parse_auth_settings({"method": "header_token", "header": "X-Api-Key"})
    signed = sign(settings, "tok-123456", BODY, now=T0)
    assert signed.headers == {"X-Api-Key": "tok-123456"}
    headers = dict(signed.headers)  # not lower-cased on purpose
    assert (
        authenticate(settings, [cred("tok-123456")], headers=headers, query={}, body=BODY, now=T0).id
        == "cred_1"
    )


# --- hub_signature (custom) ----------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha512"])
@pytest.mark.parametrize("encoding", ["hex", "base64"])
def test_custom_signature_round_trip(algorithm: str, encoding: str) -> None:
    settings = parse_auth_settings(
        {"method": "hub_signature", "header": "X-Sig", "algorithm": algorithm, "encoding": encoding}
    )
    signed = sign(settings, "shared-secret", BODY, now=T0)
    assert signed.headers["X-Sig"].startswith(f"{algorithm}=")  # the default prefix follows the algorithm
    assert run(settings, [cred("shared-secret")], signed).id == "cred_1"
    refused("invalid_signature", settings, [cred("shared-secret")], signed, body=BODY + b" ")
    refused("invalid_signature", settings, [cred("other-secret")], signed)


def test_hex_signatures_are_compared_case_insensitively_and_prefix_too() -> None:
    settings = parse_auth_settings({"method": "hub_signature"})
    value = sign(settings, "shared-secret", BODY, now=T0).headers["X-Hub-Signature-256"]
    for variant in (value.upper(), "SHA256=" + value[7:], value[:7] + value[7:].upper()):
        assert run(settings, [cred("shared-secret")], headers={"x-hub-signature-256": variant}).id == "cred_1"


def test_base64_signature_without_padding_is_accepted() -> None:
    settings = parse_auth_settings({"method": "hub_signature", "encoding": "base64", "prefix": ""})
    value = sign(settings, "shared-secret", BODY, now=T0).headers["X-Hub-Signature-256"]
    assert value.endswith("=")
    assert run(settings, [cred("shared-secret")], headers={"x-hub-signature-256": value.rstrip("=")})


def test_signature_rotation_with_two_secrets() -> None:
    settings = parse_auth_settings({"method": "hub_signature", "preset": "github"})
    creds = [cred("old-secret", "cred_old"), cred("new-secret", "cred_new")]
    assert run(settings, creds, sign(settings, "old-secret", BODY, now=T0)).id == "cred_old"
    assert run(settings, creds, sign(settings, "new-secret", BODY, now=T0)).id == "cred_new"


def test_missing_and_malformed_signatures() -> None:
    settings = parse_auth_settings({"method": "hub_signature"})
    creds = [cred("shared-secret")]
    refused("missing_signature", settings, creds, headers={})
    refused("missing_signature", settings, creds, headers={"x-hub-signature-256": " "})
    refused("malformed_signature", settings, creds, headers={"x-hub-signature-256": "sha1=" + "ab" * 20})
    refused("malformed_signature", settings, creds, headers={"x-hub-signature-256": "sha256=zz" + "ab" * 31})
    error = refused(
        "malformed_signature", settings, creds, headers={"x-hub-signature-256": "sha256=" + "ab" * 20}
    )
    assert "32 bytes" in error.message  # says what was expected: a sha1 digest sent to a sha256 check


def test_timestamp_header_and_tolerance_boundaries() -> None:
    data = {
        "method": "hub_signature",
        "header": "X-Sig",
        "timestamp_header": "X-Ts",
        "tolerance_seconds": 300,
    }
    settings = parse_auth_settings(data)
    assert describe(settings)["signed_payload"] == "{timestamp}.{body}"
    creds = [cred("shared-secret")]
    signed = sign(settings, "shared-secret", BODY, now=T0)
    assert signed.headers["X-Ts"] == "1700000000"
    for now in (T0 - 300, T0, T0 + 300):
        assert run(settings, creds, signed, now=now).id == "cred_1"
    for now in (T0 - 301, T0 + 301):
        error = refused("timestamp_outside_tolerance", settings, creds, signed, now=now)
        assert "300 s" in error.message
    refused("missing_timestamp", settings, creds, headers={"x-sig": signed.headers["X-Sig"]})
    refused("malformed_signature", settings, creds, signed, headers={"x-ts": "yesterday"})
    refused(
        "invalid_signature", settings, creds, signed, headers={"x-ts": "1700000001"}
    )  # the timestamp is signed


def test_milliseconds_and_iso_timestamps() -> None:
    for fmt, expected in (("unix_ms", "1700000000000"), ("iso8601", "2023-11-14T22:13:20Z")):
        data = {"method": "hub_signature", "timestamp_header": "X-Ts", "timestamp_format": fmt}
        settings = parse_auth_settings(data)
        signed = sign(settings, "shared-secret", BODY, now=T0)
        assert signed.headers["X-Ts"] == expected
        assert run(settings, [cred("shared-secret")], signed, now=T0 + 299).id == "cred_1"
        refused("timestamp_outside_tolerance", settings, [cred("shared-secret")], signed, now=T0 + 301)


def test_refusal_messages_never_contain_secrets_tokens_or_body() -> None:
    secret = "very-secret-value-123"
    cases: list[tuple[dict[str, Any], dict[str, str], dict[str, str]]] = [
        ({"method": "query_token"}, {}, {"token": secret + "x"}),
        ({"method": "header_token"}, {"x-authorization": secret + "x"}, {}),
        ({"method": "hub_signature"}, {"x-hub-signature-256": "sha256=" + "00" * 32}, {}),
    ]
    for data, headers, query in cases:
        with pytest.raises(AuthenticationFailed) as caught:
            run(parse_auth_settings(data), [cred(secret)], headers=headers, query=query)
        assert secret not in caught.value.message and "ann@example.com" not in caught.value.message
        assert caught.value.code in REFUSAL_CODES
    assert secret not in repr(cred(secret))


GARBAGE = [
    "",
    " ",
    "=",
    ",,,",
    "t=",
    "t=,v1=",
    "v1,",
    "sha256=",
    "t=abc,v1=zz",
    "t=99999999999999999999999,v1=00",
    "v1,!!!! v1a,abc",
    "é" * 50,
    "\x00\x01",
    "\ud800",
    "١٧٠٠٠٠٠٠٠٠",
    "a" * 20_000,
    "2026-13-45T99:99:99Z",
    "9999-12-31T23:59:59+99:00",
]


@pytest.mark.parametrize("preset", [None, *PRESETS])
def test_garbage_headers_are_refused_never_crash(preset: str | None) -> None:
    data: dict[str, Any] = (
        {"method": "hub_signature", "preset": preset} if preset else {"method": "hub_signature"}
    )
    settings = parse_auth_settings(data)
    full = describe(settings)
    names = [full["header"], full["timestamp_header"] or "x-ts", full["id_header"] or "x-id"]
    rng = random.Random(preset or "custom")
    for _ in range(300):
        headers = {name.lower(): rng.choice(GARBAGE) + rng.choice(GARBAGE) for name in names}
        with pytest.raises(AuthenticationFailed) as caught:
            run(
                settings,
                [cred("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), cred("whsec_!!notbase64")],
                headers=headers,
            )
        assert caught.value.code in REFUSAL_CODES


def test_garbage_tokens_are_refused_never_crash() -> None:
    settings = parse_auth_settings({"method": "header_token", "scheme": "Bearer"})
    for value in GARBAGE:
        with pytest.raises(AuthenticationFailed):
            run(settings, [cred("tok-123456")], headers={"x-authorization": value}, query={"token": value})


# --- settings: parsing, storage, description -----------------------------------------------------

VALID = [
    {"method": "query_token", "param": "t"},
    {"method": "header_token", "header": "Authorization", "scheme": "Bearer"},
    {"method": "hub_signature", "preset": "shopify"},
    {"method": "hub_signature", "preset": "stripe", "tolerance_seconds": 600},
    {
        "method": "hub_signature",
        "header": "X-Sig",
        "algorithm": "sha512",
        "encoding": "base64",
        "prefix": "",
        "timestamp_header": "X-Ts",
        "tolerance_seconds": 300,
    },
    {
        "method": "hub_signature",
        "header": "X-Signature",
        "header_format": "standard-webhooks",
        "timestamp_header": "X-Timestamp",
        "id_header": "X-Id",
        "secret_encoding": "base64",
    },
]


@pytest.mark.parametrize("data", VALID)
def test_settings_round_trip_through_storage_and_description(data: dict[str, Any]) -> None:
    settings = parse_auth_settings(data)
    assert parse_auth_settings(to_json(settings)) == settings
    assert parse_auth_settings(settings.model_dump(mode="json")) == settings
    assert parse_auth_settings(describe(settings)) == settings
    assert parse_auth_settings(settings) is settings


def test_preset_is_stored_by_name_with_its_overrides() -> None:
    assert to_json(parse_auth_settings({"preset": "github"})) == {
        "method": "hub_signature",
        "preset": "github",
    }
    stored = to_json(
        parse_auth_settings({"method": "hub_signature", "preset": "slack", "tolerance_seconds": 60})
    )
    assert stored == {"method": "hub_signature", "preset": "slack", "tolerance_seconds": 60}
    described = describe(parse_auth_settings({"method": "hub_signature", "preset": "slack"}))
    assert described["header"] == "X-Slack-Signature" and described["tolerance_seconds"] == 300


def test_query_param_is_visible_in_model_dump() -> None:
    # The pipeline reads it to strip the token from pixel-style GET events.
    assert parse_auth_settings({"method": "query_token", "param": "key"}).model_dump()["param"] == "key"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"method": "hub_signature", "algorithm": "md5"},
            'auth.algorithm: "md5" is not one of sha1, sha256, sha512',
        ),
        (
            {"method": "hub_signature", "preset": "gitlab"},
            'auth.preset: "gitlab" is not a known preset (github',
        ),
        ({"method": "carrier_pigeon"}, 'auth.method: "carrier_pigeon" is not one of'),
        ({}, "auth.method: required"),
        ({"method": "query_token", "header": "X"}, 'auth.header: unknown field for method "query_token"'),
        ({"method": "query_token", "param": "a b"}, 'auth.param: "a b" is not a query parameter name'),
        ({"method": "header_token", "header": "X Bad"}, 'auth.header: "X Bad" is not a header name'),
        (
            {"method": "hub_signature", "encoding": "base32"},
            'auth.encoding: "base32" is not one of hex, base64',
        ),
        (
            {"method": "hub_signature", "preset": "github", "header": "X-Foo"},
            'auth.header: "X-Foo" cannot be changed',
        ),
        (
            {"method": "hub_signature", "preset": "github", "tolerance_seconds": 300},
            "auth.tolerance_seconds: 300",
        ),
        (
            {"method": "hub_signature", "timestamp_header": "X-Ts", "tolerance_seconds": 0},
            "auth.tolerance_seconds: 0",
        ),
        (
            {"method": "hub_signature", "timestamp_header": "X-Ts", "tolerance_seconds": True},
            "tolerance_seconds: true",
        ),
        (
            {"method": "hub_signature", "signed_payload": "{timestamp}.{body}"},
            "timestamp_header (or header_format",
        ),
        (
            {"method": "hub_signature", "timestamp_header": "X-Ts", "signed_payload": "{body}"},
            "must contain {timestamp}",
        ),
        ({"method": "hub_signature", "signed_payload": "{body}{body}"}, "must contain {body} once"),
        ({"method": "hub_signature", "signed_payload": "{nonce}.{body}"}, "may only use the placeholders"),
        ({"method": "hub_signature", "header_format": "stripe", "timestamp_header": "X-Ts"}, "t= item"),
        ({"method": "hub_signature", "header_format": "stripe", "prefix": ""}, "auth.prefix"),
        ({"method": "hub_signature", "id_header": "X-Id", "signed_payload": "{body}"}, "must contain {id}"),
        ("query_token", 'auth: "query_token" must be an object'),
    ],
)
def test_invalid_settings_name_the_field_and_the_value(data: Any, expected: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_auth_settings(data)
    assert caught.value.code == "invalid_input"
    assert expected in caught.value.message, caught.value.message


@pytest.mark.parametrize(
    "value", [None, True, 1.5, -1, [], {}, ["sha256"], {"a": 1}, "", "x" * 500, "\ud800"]
)
def test_any_value_in_any_field_is_accepted_or_refused_with_invalid_input(value: Any) -> None:
    fields = [
        "method",
        "preset",
        "param",
        "header",
        "scheme",
        "algorithm",
        "encoding",
        "prefix",
        "header_format",
    ]
    fields += ["signed_payload", "timestamp_header", "timestamp_format", "tolerance_seconds", "id_header"]
    for base in (
        {"method": "hub_signature"},
        {"method": "hub_signature", "preset": "stripe"},
        {"method": "query_token"},
        {"method": "basic"},
    ):
        for field in [*fields, "secret_encoding", "password"]:
            try:
                parse_auth_settings({**base, field: value})
            except InvalidInput as error:
                assert error.message.startswith("auth")


def test_preset_fields_may_be_repeated_with_their_own_values() -> None:
    data = {"method": "hub_signature", "preset": "github", "header": "x-hub-signature-256", "encoding": "hex"}
    assert to_json(parse_auth_settings(data)) == {"method": "hub_signature", "preset": "github"}


# --- secrets -------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", VALID)
def test_generated_secrets_work_and_differ(data: dict[str, Any]) -> None:
    settings = parse_auth_settings(data)
    first, second = generate_secret(settings), generate_secret(settings)
    assert first != second and len(first) >= 43
    check_secret(settings, first)
    assert run(settings, [cred(first)], sign(settings, first, BODY, now=T0)).id == "cred_1"


def test_standard_webhooks_secrets_are_whsec_base64() -> None:
    settings = parse_auth_settings({"preset": "standard-webhooks"})
    assert generate_secret(settings).startswith("whsec_")
    with pytest.raises(InvalidInput, match="base64"):
        check_secret(settings, "whsec_not base64!")
    with pytest.raises(InvalidInput, match="base64"):
        sign(settings, "whsec_not base64!", BODY, now=T0)
    check_secret(parse_auth_settings({"preset": "github"}), "any text at all")
