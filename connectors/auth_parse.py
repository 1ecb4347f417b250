"""Turn the `auth` object of a connector (admin API input or stored JSON) into typed settings.

Every refusal is an `InvalidInput` whose message names the field and the value, such as
`auth.algorithm: "md5" is not one of sha1, sha256, sha512, ecdsa-p256-sha256`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from connectors.algorithms import ALGORITHMS
from connectors.auth_models import (
    BASIC_PASSWORDS,
    ENCODINGS,
    HEADER_FORMATS,
    ITEM_FORMATS,
    METHODS,
    SECRET_ENCODINGS,
    AuthSettings,
    BasicSettings,
    HeaderTokenSettings,
    HubSignatureSettings,
    QueryTokenSettings,
)
from connectors.presets import OVERRIDABLE, PRESETS, SDK_PRESETS
from connectors.timestamps import TIMESTAMP_FORMATS
from errors import InvalidInput

_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}")  # an RFC 9110 token
_PARAM_NAME = re.compile(r"[^\s&=#]{1,64}")
_PREFIX = re.compile(r"[!-~]{0,32}")  # printable ASCII, no spaces: it is matched literally
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# {url}: the connector URL the sender was given (INBOUND_PUBLIC_URL + path + query); {method}: POST.
# {form}: the form fields sorted by name, each name then value (Twilio, Mandrill), instead of {body}.
SIGNED_PLACEHOLDERS = ("id", "timestamp", "method", "url", "body", "form")
_MAX_TOLERANCE = 86_400

_FIELDS = {
    "query_token": ("param",),
    "header_token": ("header", "scheme"),
    "basic": ("password",),
    "hub_signature": (
        "preset",
        "header",
        "algorithm",
        "encoding",
        "prefix",
        "header_format",
        "signed_payload",
        "timestamp_header",
        "timestamp_format",
        "tolerance_seconds",
        "id_header",
        "secret_encoding",
    ),
}


def _show(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _bad(field: str, value: Any, expected: str) -> InvalidInput:
    return InvalidInput(f"auth.{field}: {_show(value)} {expected}")


def _choice(field: str, value: Any, options: tuple[str, ...]) -> str:
    if value not in options:
        raise _bad(field, value, f"is not one of {', '.join(options)}")
    return str(value)


def _matching(pattern: re.Pattern[str], expected: str) -> Callable[[str, Any], str]:
    def check(field: str, value: Any) -> str:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise _bad(field, value, expected)
        return value

    return check


_header_name = _matching(_HEADER_NAME, "is not a header name (letters, digits and - _ . at most 64)")
_param_name = _matching(_PARAM_NAME, "is not a query parameter name (1 to 64 characters, no spaces, & = #)")
_prefix = _matching(_PREFIX, 'must be at most 32 printable characters without spaces, or ""')


def _optional(check: Callable[[str, Any], str]) -> Callable[[str, Any], str | None]:
    def optional(field: str, value: Any) -> str | None:
        return None if value is None or value == "" else check(field, value)

    return optional


def _tolerance(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_TOLERANCE:
        raise _bad(field, value, f"must be a whole number of seconds from 1 to {_MAX_TOLERANCE}")
    return value


def _template(field: str, value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 200 or not value.isprintable():
        raise _bad(field, value, 'must be a template such as "{timestamp}.{body}"')
    names = _PLACEHOLDER.findall(value)
    unknown = [n for n in names if n not in SIGNED_PLACEHOLDERS]
    if unknown or "{" in _PLACEHOLDER.sub("", value) or "}" in _PLACEHOLDER.sub("", value):
        raise _bad(
            field,
            value,
            "may only use the placeholders {id}, {timestamp}, {method}, {url}, {body} and {form}",
        )
    repeated = any(names.count(n) > 1 for n in SIGNED_PLACEHOLDERS)
    if names.count("body") + names.count("form") != 1 or repeated:
        raise _bad(
            field,
            value,
            "must contain {body} once (or {form} instead), and each other placeholder at most once",
        )
    return value


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "param": _param_name,
    "header": _header_name,
    "scheme": _optional(_matching(_HEADER_NAME, 'is not a scheme name such as "Bearer"')),
    "algorithm": lambda f, v: _choice(f, v, ALGORITHMS),
    "encoding": lambda f, v: _choice(f, v, ENCODINGS),
    "prefix": _prefix,
    "header_format": lambda f, v: _choice(f, v, HEADER_FORMATS),
    "signed_payload": _template,
    "timestamp_header": _optional(_header_name),
    "timestamp_format": lambda f, v: _choice(f, v, TIMESTAMP_FORMATS),
    "tolerance_seconds": lambda f, v: None if v is None else _tolerance(f, v),
    "id_header": _optional(_header_name),
    "secret_encoding": lambda f, v: _choice(f, v, SECRET_ENCODINGS),
}


def parse_auth_settings(data: Mapping[str, Any] | AuthSettings) -> AuthSettings:
    """Validate an `auth` object; a `preset` fills the hub-signature settings."""
    if isinstance(data, AuthSettings):
        return data
    if not isinstance(data, Mapping):
        raise InvalidInput(f'auth: {_show(data)} must be an object such as {{"method": "query_token"}}')
    sdk = data.get("preset")
    if isinstance(sdk, str) and sdk in SDK_PRESETS:
        return _sdk_preset(sdk, data)
    method = data.get("method", "hub_signature" if "preset" in data else None)
    if method is None:
        raise InvalidInput(f"auth.method: required; one of {', '.join(METHODS)}")
    _choice("method", method, METHODS)
    allowed = _FIELDS[method]
    for key in data:
        if key != "method" and key not in allowed:
            expected = ", ".join(allowed)
            raise InvalidInput(
                f"auth.{key}: unknown field for method {_show(method)}; expected one of {expected}"
            )
    if method == "query_token":
        return QueryTokenSettings(param=_param_name("param", data.get("param", "token")))
    if method == "header_token":
        header = _header_name("header", data.get("header", "X-Authorization"))
        return HeaderTokenSettings(header=header, scheme=_CHECKS["scheme"]("scheme", data.get("scheme")))
    if method == "basic":
        password = _choice("password", data.get("password", "ignore"), BASIC_PASSWORDS)
        return BasicSettings(password="match" if password == "match" else "ignore")
    return _hub_signature(data)


def _sdk_preset(name: str, data: Mapping[str, Any]) -> AuthSettings:
    """A CDP SDK's preset: its settings, which may not be changed (the SDK sends what it sends)."""
    fields = dict(SDK_PRESETS[name])
    for key, value in data.items():
        if key == "preset" or fields.get(key) == value:
            continue
        raise _bad(
            key,
            value,
            f"cannot be set with preset {_show(name)} (it means {_show(fields)}); "
            "leave out the preset to set every field yourself",
        )
    return parse_auth_settings(fields)


def _with_preset(data: Mapping[str, Any]) -> dict[str, Any]:
    name = data["preset"]
    if not isinstance(name, str) or name not in PRESETS:
        raise _bad("preset", name, f"is not a known preset ({', '.join(PRESETS)})")
    fields = dict(PRESETS[name].settings)
    for key, value in data.items():
        if key in ("method", "preset"):
            continue
        if key in OVERRIDABLE:
            fields[key] = value
            continue
        same = fields.get(key)
        if key.endswith("header") and isinstance(value, str) and isinstance(same, str):
            same, value = same.lower(), value.lower()  # header names are case-insensitive
        if value != same:
            raise _bad(
                key,
                data[key],
                f"cannot be changed with preset {_show(name)} (it is {_show(fields.get(key))}); "
                "leave out the preset to set every field yourself",
            )
    fields["preset"] = name
    return fields


def _hub_signature(data: Mapping[str, Any]) -> HubSignatureSettings:
    if data.get("preset") is not None:
        fields = _with_preset(data)
    else:
        fields = {k: v for k, v in data.items() if k not in ("method", "preset")}
    values: dict[str, Any] = {"preset": fields.get("preset")}
    for key in _FIELDS["hub_signature"][1:]:
        if key in fields:
            values[key] = _CHECKS[key](key, fields[key])
    _fill_defaults(values)
    _check_consistency(values)
    return HubSignatureSettings(**values)


def _fill_defaults(values: dict[str, Any]) -> None:
    """Defaults that depend on other fields (documented in docs/auth-methods.md)."""
    values.setdefault("header", "X-Hub-Signature-256")
    values.setdefault("algorithm", "sha256")
    values.setdefault("header_format", "plain")
    header_format = values["header_format"]
    default_prefix = {
        "plain": f"{values['algorithm']}=",
        "stripe": "v1=",
        "paddle": "h1=",
        "standard-webhooks": "v1,",
    }
    values.setdefault("prefix", default_prefix[header_format])
    values.setdefault("encoding", "base64" if header_format == "standard-webhooks" else "hex")
    values.setdefault("timestamp_format", "unix")
    values.setdefault("secret_encoding", "text")
    has_timestamp = header_format in ("stripe", "paddle") or values.get("timestamp_header") is not None
    if "signed_payload" not in values:
        parts = (["{id}"] if values.get("id_header") else []) + (["{timestamp}"] if has_timestamp else [])
        values["signed_payload"] = ".".join([*parts, "{body}"])
    if has_timestamp and values.get("tolerance_seconds") is None:
        values["tolerance_seconds"] = 300


def _check_consistency(values: dict[str, Any]) -> None:
    template = values["signed_payload"]
    stripe = values["header_format"] in ("stripe", "paddle")  # the timestamp is an item of the header
    if values["header_format"] != "plain" and not values["prefix"]:
        raise _bad(
            "prefix",
            values["prefix"],
            f'must name the signature version (such as "v1=") for {values["header_format"]}',
        )
    if stripe and values.get("timestamp_header"):
        raise _bad(
            "timestamp_header",
            values["timestamp_header"],
            f'is not used with header_format "{values["header_format"]}": the timestamp is the '
            f"{ITEM_FORMATS[values['header_format']][1]} item of the signature header",
        )
    has_timestamp = stripe or values.get("timestamp_header") is not None
    if has_timestamp != ("{timestamp}" in template):
        expected = (
            "must contain {timestamp}: a timestamp that is not signed does not stop replays"
            if has_timestamp
            else 'uses {timestamp}, so timestamp_header (or header_format "stripe") must be set'
        )
        raise _bad("signed_payload", template, expected)
    if (values.get("id_header") is not None) != ("{id}" in template):
        expected = (
            "must contain {id} when id_header is set"
            if values.get("id_header")
            else ("uses {id}, so id_header must be set")
        )
        raise _bad("signed_payload", template, expected)
    if values.get("tolerance_seconds") is not None and not has_timestamp:
        raise _bad(
            "tolerance_seconds",
            values["tolerance_seconds"],
            "needs a signed timestamp: set timestamp_header (this sender signs no timestamp)",
        )
