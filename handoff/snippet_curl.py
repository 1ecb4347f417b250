"""The shell example: bash with curl and openssl (no other tool), signing at run time."""

from __future__ import annotations

import json
import shlex
from typing import Any

from handoff.recipe import Lit, Parts, Recipe, Var

_NAMES = {
    "endpoint": "ENDPOINT",
    "body": "BODY",
    "timestamp": "TS",
    "id": "MSG_ID",
    "signature": "SIG",
    "token": "TOKEN",
    "basic": "BASIC",
}
_TIMESTAMP = {
    "unix": "$(date +%s)",
    "unix_ms": "$(( $(date +%s) * 1000 ))",
    "iso8601": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
}
_UNSAFE_IN_DOUBLE_QUOTES = set('$`"\\!')
# A digest as lower-case hex, or as one line of base64 (GNU base64 would wrap long ones).
_ENCODE = {"hex": "od -An -vtx1 | tr -d ' \\n'", "base64": "openssl base64 -A"}


def sh(parts: Parts) -> str:
    """One shell word: "text $VAR" when the literals allow, else quoted pieces side by side."""
    if all(not (set(p.text) & _UNSAFE_IN_DOUBLE_QUOTES) for p in parts if isinstance(p, Lit)):
        inner = "".join(p.text if isinstance(p, Lit) else "${" + _NAMES[p.name] + "}" for p in parts)
        return f'"{inner}"'
    return "".join(shlex.quote(p.text) if isinstance(p, Lit) else f'"${_NAMES[p.name]}"' for p in parts)


def curl_snippet(recipe: Recipe, url: str, event: Any, content_type: str = "application/json") -> str:
    secret_name = "TOKEN" if "token" in recipe.uses else "SECRET"
    lines = [
        "# bash, with curl and openssl." if recipe.signed is not None else "# bash, with curl.",
        f"# Replace {recipe.placeholder} with the connector's test {secret_name.lower()} (test data, purged "
        f"when you are done; the live {secret_name.lower()} once this works), and the body with yours.",
        f"ENDPOINT={shlex.quote(url)}",
        f"{secret_name}={shlex.quote(recipe.placeholder)}",
        "# The exact bytes that are signed and sent:",
        f"BODY={shlex.quote(json.dumps(event, indent=2, ensure_ascii=False))}",
    ]
    if "basic" in recipe.uses:
        user_password = '"$TOKEN"' if recipe.basic_password else '"$TOKEN:"'
        lines.append(f"BASIC=$(printf '%s' {user_password} | openssl base64 -A)  # HTTP Basic: token as user")
    if recipe.signed is not None:
        if recipe.timestamp_format is not None:
            lines.append(f"TS={_TIMESTAMP[recipe.timestamp_format]}  # now, at send time")
        if recipe.message_id:
            lines.append('MSG_ID="msg_$(date +%s)_${RANDOM}${RANDOM}"  # unique per delivery')
        digest = f"openssl dgst -{recipe.algorithm} -binary"
        if recipe.key_base64:
            lines.append('# The key is the base64 after "whsec_", decoded (passed to openssl as hex).')
            # openssl silently drops a last group without its "=" padding: pad before decoding.
            lines.append('KEY_B64="${SECRET#whsec_}"; KEY_B64="${KEY_B64%%=*}"')
            lines.append(
                'case $(( ${#KEY_B64} % 4 )) in 2) KEY_B64="${KEY_B64}==" ;; 3) KEY_B64="${KEY_B64}=" ;; esac'
            )
            lines.append(
                "KEY_HEX=$(printf '%s\\n' \"$KEY_B64\" | openssl base64 -d -A | od -An -vtx1 | tr -d ' \\n')"
            )
            mac = f'{digest} -mac HMAC -macopt "hexkey:$KEY_HEX"'
        else:
            mac = f'{digest} -hmac "$SECRET"'
        lines.append(f"SIG=$(printf '%s' {sh(recipe.signed)} | {mac} | {_ENCODE[recipe.encoding]})")
    url_parts: Parts = (Var("endpoint"),)
    for index, (name, value) in enumerate(recipe.query):
        url_parts += (Lit(("?" if index == 0 else "&") + name + "="), *value)  # generated tokens are URL-safe
    command = [f"curl -sS -X POST {sh(url_parts)}", f"-H {shlex.quote('Content-Type: ' + content_type)}"]
    command += [f"-H {sh((Lit(name + ': '), *value))}" for name, value in recipe.headers]
    command += ['--data-raw "$BODY"']
    lines.append(" \\\n  ".join(command))
    return "\n".join(lines) + "\n"
