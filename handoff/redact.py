"""Personal data out of a real raw event (the latest event, or a saved sample, which may come
from one) before it goes on a page that leaves the company.

Best effort, by key name and by value: e-mail addresses, phone numbers, person names, street
addresses, IP addresses and birth dates are replaced by made-up values of the same kind (the
same real value always by the same made-up one, so the mapping still finds one profile). The page
says which paths were replaced and warns that other fields may still be personal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_EMAIL = re.compile(r"[^@\s\"'<>]+@[^@\s\"'<>]+\.[A-Za-z]{2,}")
_PHONE_VALUE = re.compile(r"\+[\d\s().-]{7,}\d")
_KEYS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("email", r"e-?mail"),
        ("phone", r"phone|mobile|msisdn|whatsapp|(^|_)(tel|fax|sms)$"),
        (
            "name",
            r"^(first|last|full|given|family|middle|sur|display|customer|contact|billing|shipping|user)"
            r"[_ -]?name$|^(firstname|lastname|surname|fullname|nickname)$",
        ),
        ("address", r"^(address|street|address_?[12]|line_?[12]|zip|zip_?code|post_?code|postal_?code)$"),
        ("ip", r"(^|_)ip(_address)?$|^browser_ip$|^client_ip$"),
        ("birth", r"birth|(^|_)dob$"),
    )
)
# `name` alone is a person's name only in a person-like object (Shopify's order `name` is "#1042").
_PERSON = re.compile(
    r"^(customer|contact|user|person|member|recipient|buyer|sender|billing_address|shipping_address|"
    r"billing|shipping|profile|account|author|owner)$",
    re.IGNORECASE,
)

_PERSON_NAME = re.compile(r"[^\W\d_][^\W\d_' .-]*(?:[' .-]+[^\W\d_]+)*")


@dataclass
class Redaction:
    paths: list[str] = field(default_factory=list)
    seen: dict[tuple[str, str], str] = field(default_factory=dict)

    def fake(self, kind: str, value: Any) -> Any:
        key = (kind, str(value).strip().lower())
        if key not in self.seen:
            n = sum(1 for k in self.seen if k[0] == kind) + 1
            self.seen[key] = {
                "email": f"person{n}@example.com",
                "phone": f"+1555000{n:04d}",
                "name": f"Person {n}",
                "address": "1 Example Street",
                "ip": "192.0.2.1",
                "birth": "2000-01-01",
            }[kind]
        return self.seen[key]


def redact(value: Any) -> tuple[Any, list[str]]:
    """(the value with personal data replaced, the paths replaced)."""
    redaction = Redaction()
    return _walk(value, "", None, False, redaction), redaction.paths


def redact_input(
    body: Any, headers: Mapping[str, str], query: Mapping[str, str]
) -> tuple[Any, dict[str, str], dict[str, str], list[str]]:
    """A whole saved input: body, headers and query string, one real value → one made-up value
    across all three (so `$headers.x-member` and the body's `email` still name one profile).
    Header and query paths are listed as the mapping reads them: `$headers.x-email`, `$query.email`."""
    redaction = Redaction()
    new_body = _walk(body, "", None, False, redaction)
    maps: list[dict[str, str]] = []
    for prefix, values in (("$headers", headers), ("$query", query)):
        done = {}
        for name, value in values.items():
            done[name] = _walk(value, f"{prefix}.{name}", name, False, redaction)
        maps.append(done)
    return new_body, maps[0], maps[1], redaction.paths


def _kind(key: str | None, parent: str | None, value: Any, person: bool) -> str | None:
    if key is not None:
        for kind, pattern in _KEYS:
            if pattern.search(key):
                return kind
        looks_like_a_name = isinstance(value, str) and _PERSON_NAME.fullmatch(value.strip()) is not None
        if key.lower() == "name" and looks_like_a_name and (person or (parent and _PERSON.match(parent))):
            return "name"
    if isinstance(value, str):
        if _EMAIL.fullmatch(value.strip()):
            return "email"
        if _PHONE_VALUE.fullmatch(value.strip()):
            return "phone"
    return None


def _walk(
    value: Any, path: str, key: str | None, person: bool, r: Redaction, parent: str | None = None
) -> Any:
    if isinstance(value, dict):
        holds_contact = any(_kind(str(k), None, None, False) in ("email", "phone") for k in value)
        return {
            k: _walk(v, f"{path}.{k}" if path else str(k), str(k), holds_contact, r, key)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_walk(v, f"{path}[{i}]", key, person, r, parent) for i, v in enumerate(value)]
    if value is None or isinstance(value, bool):
        return value
    kind = _kind(key, parent, value, person)
    if kind is None or not isinstance(value, (str, int, float)):
        if isinstance(value, str) and _EMAIL.search(value):  # an address inside a longer text
            r.paths.append(path or "$")
            return _EMAIL.sub(lambda m: str(r.fake("email", m.group(0))), value)
        return value
    r.paths.append(path or "$")
    return r.fake(kind, value)
