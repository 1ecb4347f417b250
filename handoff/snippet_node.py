"""The JavaScript example: Node 18+ (global fetch), no dependencies."""

from __future__ import annotations

import json
from typing import Any

from handoff.recipe import Lit, Parts, Recipe

_NAMES = {
    "body": "body",
    "timestamp": "timestamp",
    "id": "msgId",
    "signature": "signature",
    "token": "TOKEN",
    "basic": "basic",
    "endpoint": "endpoint",
}
_TIMESTAMP = {
    "unix": "Math.floor(Date.now() / 1000).toString()",
    "unix_ms": "Date.now().toString()",
    "iso8601": 'new Date().toISOString().replace(/\\.\\d{3}Z$/, "Z")',
}
_SAFE_INT = 2**53


def _js(parts: Parts) -> str:
    return " + ".join(json.dumps(p.text) if isinstance(p, Lit) else _NAMES[p.name] for p in parts)


def _has_big_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) > _SAFE_INT
    if isinstance(value, dict):
        return any(_has_big_int(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_big_int(v) for v in value)
    return False


def _body_lines(event: Any) -> list[str]:
    if _has_big_int(event):
        # JavaScript numbers would round these ids: keep the body as text so it is sent exactly.
        return [f"const body = {json.dumps(json.dumps(event, ensure_ascii=False), ensure_ascii=False)};"]
    return [
        f"const event = {json.dumps(event, indent=2, ensure_ascii=False)};",
        "const body = JSON.stringify(event); // the exact text that is signed and sent",
    ]


def node_snippet(recipe: Recipe, url: str, event: Any, content_type: str = "application/json") -> str:
    secret_name = "TOKEN" if "token" in recipe.uses else "SECRET"
    lines = [
        "// Node.js 18+ (built-in fetch), no dependencies.",
        f"// Replace {recipe.placeholder} with the connector's test {secret_name.lower()} (test data, purged "
        f"when you are done; the live {secret_name.lower()} once this works), and the event with yours.",
    ]
    if recipe.signed is not None:
        lines += ['const crypto = require("node:crypto");', ""]
    lines += [
        f"let endpoint = {json.dumps(url)};",
        f"const {secret_name} = {json.dumps(recipe.placeholder)};",
        "",
    ]
    lines += [*_body_lines(event), ""]
    if recipe.query:
        params = ", ".join(f"{json.dumps(name)}: {_js(value)}" for name, value in recipe.query)
        lines += [f'endpoint += "?" + new URLSearchParams({{{params}}});', ""]
    if "basic" in recipe.uses:
        user_password = "TOKEN" if recipe.basic_password else 'TOKEN + ":"'
        lines += [f'const basic = Buffer.from({user_password}).toString("base64"); // token as user', ""]
    if recipe.signed is not None:
        if recipe.timestamp_format is not None:
            lines.append(f"const timestamp = {_TIMESTAMP[recipe.timestamp_format]}; // now, at send time")
        if recipe.message_id:
            lines.append(
                'const msgId = "msg_" + crypto.randomUUID().replace(/-/g, ""); // unique per delivery'
            )
        if recipe.key_base64:
            lines.append(
                'const key = Buffer.from(SECRET.replace(/^whsec_/, ""), "base64"); // whsec_ + base64'
            )
        else:
            lines.append("const key = SECRET;")
        lines.append(f"const signed = {_js(recipe.signed)};")
        lines.append(
            f'const signature = crypto.createHmac("{recipe.algorithm}", key).update(signed, "utf8")'
            f'.digest("{recipe.encoding}");'
        )
        lines.append("")
    headers = [f'  "Content-Type": {json.dumps(content_type)},']
    headers += [f"  {json.dumps(name)}: {_js(value)}," for name, value in recipe.headers]
    lines += ["const headers = {", *headers, "};"]
    lines += [
        'fetch(endpoint, { method: "POST", headers, body }).then(async (response) => {',
        "  console.log(response.status, await response.text());",
        "  if (!response.ok) process.exitCode = 1;",
        "});",
    ]
    return "\n".join(lines) + "\n"
