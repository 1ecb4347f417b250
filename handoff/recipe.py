"""What a sender attaches to a request, as language-neutral parts that each snippet writes out.

A value is a list of parts: literal text, or a variable (`body`, `timestamp`, `id`,
`signature`, `token`) that the snippet computes at run time. Derived from the same settings
that `connectors.auth.sign` and the service's check use, so the snippets sign what is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from connectors.auth import (
    AuthSettings,
    BasicSettings,
    HeaderTokenSettings,
    HubSignatureSettings,
    QueryTokenSettings,
)

# The examples name the test credential: run as given, they write test data that can be purged.
SECRET_PLACEHOLDER = "<YOUR_TEST_SECRET>"
TOKEN_PLACEHOLDER = "<YOUR_TEST_TOKEN>"

_PLACEHOLDER = re.compile(r"\{(body|timestamp|id|url|method)\}")


@dataclass(frozen=True)
class Lit:
    text: str


@dataclass(frozen=True)
class Var:
    name: str  # body | timestamp | id | signature | token | basic (base64 of "token:" or "user:password")


Part = Lit | Var
Parts = tuple[Part, ...]


@dataclass(frozen=True)
class Recipe:
    placeholder: str
    query: tuple[tuple[str, Parts], ...] = ()
    headers: tuple[tuple[str, Parts], ...] = ()
    signed: Parts | None = None  # the HMAC input; None for token methods
    algorithm: str = "sha256"
    encoding: str = "hex"
    key_base64: bool = False  # Standard Webhooks: the key is the base64 after "whsec_"
    timestamp_format: str | None = None  # set when a timestamp is signed
    message_id: bool = False
    basic_password: bool = False  # basic: the token is "user:password" (else the password is empty)
    uses: frozenset[str] = field(default_factory=frozenset)  # variables the snippet must compute


def template_parts(template: str) -> Parts:
    """`{id}.{timestamp}.{body}` -> (Var id, Lit ".", Var timestamp, Lit ".", Var body)."""
    parts: list[Part] = []
    last = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > last:
            parts.append(Lit(template[last : match.start()]))
        name = match.group(1)
        # {url}: the endpoint the snippet posts to; {method}: the snippets always POST.
        parts.append(Lit("POST") if name == "method" else Var("endpoint" if name == "url" else name))
        last = match.end()
    if last < len(template):
        parts.append(Lit(template[last:]))
    return tuple(parts)


def recipe_for(auth: AuthSettings) -> Recipe:
    if isinstance(auth, QueryTokenSettings):
        return Recipe(TOKEN_PLACEHOLDER, query=((auth.param, (Var("token"),)),), uses=frozenset({"token"}))
    if isinstance(auth, HeaderTokenSettings):
        value: Parts = (Lit(auth.scheme + " "), Var("token")) if auth.scheme else (Var("token"),)
        return Recipe(TOKEN_PLACEHOLDER, headers=((auth.header, value),), uses=frozenset({"token"}))
    if isinstance(auth, BasicSettings):
        return Recipe(
            TOKEN_PLACEHOLDER,
            headers=(("Authorization", (Lit("Basic "), Var("basic"))),),
            uses=frozenset({"token", "basic"}),
            basic_password=auth.password == "match",
        )
    if isinstance(auth, HubSignatureSettings):
        return _hub(auth)
    raise TypeError(f"unknown auth settings {type(auth).__name__}")


def _hub(auth: HubSignatureSettings) -> Recipe:
    # Mirrors connectors.signature_headers.render_headers, one format at a time.
    signature: Parts
    if auth.header_format == "stripe":
        signature = (Lit("t="), Var("timestamp"), Lit("," + auth.prefix), Var("signature"))
    elif auth.header_format == "paddle":
        signature = (Lit("ts="), Var("timestamp"), Lit(";" + auth.prefix), Var("signature"))
    else:
        signature = (Lit(auth.prefix), Var("signature")) if auth.prefix else (Var("signature"),)
    headers: list[tuple[str, Parts]] = [(auth.header, signature)]
    if auth.timestamp_header is not None and auth.has_timestamp:
        headers.append((auth.timestamp_header, (Var("timestamp"),)))
    if auth.id_header is not None and auth.has_id:
        headers.append((auth.id_header, (Var("id"),)))
    uses = {"signature", "body"}
    if auth.has_timestamp:
        uses.add("timestamp")
    if auth.has_id:
        uses.add("id")
    return Recipe(
        SECRET_PLACEHOLDER,
        headers=tuple(headers),
        signed=template_parts(auth.signed_payload),
        algorithm=auth.algorithm,
        encoding=auth.encoding,
        key_base64=auth.secret_encoding == "base64",
        timestamp_format=auth.timestamp_format if auth.has_timestamp else None,
        message_id=auth.has_id,
        uses=frozenset(uses),
    )
