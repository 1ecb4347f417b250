"""The Python example: standard library only, so it runs anywhere Python 3.9+ does."""

from __future__ import annotations

from typing import Any

from handoff.recipe import Lit, Parts, Recipe

_NAMES = {
    "body": "body",
    "timestamp": "timestamp",
    "id": "msg_id",
    "signature": "signature",
    "token": "TOKEN",
    "basic": "basic",
    "endpoint": "ENDPOINT",
}
_TIMESTAMP = {
    "unix": "str(int(time.time()))",
    "unix_ms": "str(int(time.time() * 1000))",
    "iso8601": 'time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())',
}


def literal(value: Any, indent: int = 0) -> str:
    """A Python literal for a JSON value, laid out like indented JSON (pprint's layout is hard to read)."""
    pad, inner = " " * indent, " " * (indent + 4)
    if isinstance(value, dict) and value:
        items = [f"{inner}{key!r}: {literal(item, indent + 4)}," for key, item in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        items = [f"{inner}{literal(item, indent + 4)}," for item in value]
        return "[\n" + "\n".join(items) + f"\n{pad}]"
    return repr(value)  # str, int, float, bool, None, {} and [] are their own Python literals


def _text(parts: Parts) -> str:
    return " + ".join(repr(p.text) if isinstance(p, Lit) else _NAMES[p.name] for p in parts)


def _bytes(parts: Parts) -> str:
    out = []
    for p in parts:
        if isinstance(p, Lit):
            out.append(repr(p.text.encode("utf-8")))
        else:
            out.append("body" if p.name == "body" else f'{_NAMES[p.name]}.encode("utf-8")')
    return " + ".join(out)


def python_snippet(recipe: Recipe, url: str, event: Any, content_type: str = "application/json") -> str:
    imports = {"json", "urllib.error", "urllib.request"}
    secret_name = "TOKEN" if "token" in recipe.uses else "SECRET"
    lines = [
        "# Python 3.9+, standard library only.",
        f"# Replace {recipe.placeholder} with the connector's test {secret_name.lower()} (test data, purged "
        f"when you are done; the live {secret_name.lower()} once this works), and the event with yours.",
    ]
    lines += [f"ENDPOINT = {url!r}", f"{secret_name} = {recipe.placeholder!r}", ""]
    lines += [f"event = {literal(event)}"]
    lines += ['body = json.dumps(event).encode("utf-8")  # the exact bytes that are signed and sent', ""]
    if recipe.query:
        imports.add("urllib.parse")
        params = ", ".join(f"{name!r}: {_text(value)}" for name, value in recipe.query)
        lines += [f"ENDPOINT += '?' + urllib.parse.urlencode({{{params}}})", ""]
    if "basic" in recipe.uses:
        imports.add("base64")
        user_password = "TOKEN" if recipe.basic_password else 'TOKEN + ":"'
        encode = f'base64.b64encode(({user_password}).encode("utf-8")).decode("ascii")'
        lines += [f"basic = {encode}  # HTTP Basic: the token as user name", ""]
    if recipe.signed is not None:
        imports.update({"hashlib", "hmac"})
        if recipe.timestamp_format is not None:
            imports.add("time")
            lines.append(f"timestamp = {_TIMESTAMP[recipe.timestamp_format]}  # now, at send time")
        if recipe.message_id:
            imports.add("uuid")
            lines.append('msg_id = "msg_" + uuid.uuid4().hex  # unique per delivery')
        if recipe.key_base64:
            imports.add("base64")
            lines += [
                '# The key is the base64 after "whsec_", decoded.',
                'key_b64 = SECRET.removeprefix("whsec_").rstrip("=")',
                'key = base64.b64decode(key_b64 + "=" * (-len(key_b64) % 4))',
            ]
        else:
            lines.append('key = SECRET.encode("utf-8")')
        lines.append(f"signed = {_bytes(recipe.signed)}")
        lines.append(f"mac = hmac.new(key, signed, hashlib.{recipe.algorithm})")
        if recipe.encoding == "hex":
            lines.append("signature = mac.hexdigest()")
        else:
            imports.add("base64")
            lines.append('signature = base64.b64encode(mac.digest()).decode("ascii")')
        lines.append("")
    headers = [f"    'Content-Type': {content_type!r},"]
    headers += [f"    {name!r}: {_text(value)}," for name, value in recipe.headers]
    lines += ["headers = {", *headers, "}"]
    lines += [
        'request = urllib.request.Request(ENDPOINT, data=body, headers=headers, method="POST")',
        "try:",
        "    with urllib.request.urlopen(request, timeout=30) as response:",
        '        print(response.status, response.read().decode("utf-8"))',
        "except urllib.error.HTTPError as error:",
        '    print(error.code, error.read().decode("utf-8"))',
        "    raise SystemExit(1)",
    ]
    head = [f"import {name}" for name in sorted(imports)]
    return "\n".join([*lines[:2], *head, "", *lines[2:]]) + "\n"
