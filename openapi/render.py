"""The /docs page: the OpenAPI document rendered on the server as plain HTML (no CDN, no scripts)."""

from __future__ import annotations

import json
from typing import Any

from handoff.html_base import document, esc, json_block, prose

_METHOD_ORDER = ("get", "post", "put", "patch", "delete", "options")


def _schema_link(schema: dict[str, Any]) -> str:
    """A short name for a schema: a link for a $ref, the page's item type for a page."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{esc(name)}">{esc(name)}</a>'
    items = schema.get("properties", {}).get("items", {}).get("items")
    if isinstance(items, dict) and "$ref" in items:
        return f"page of {_schema_link(items)}"
    return f"<code>{esc(json.dumps(schema))}</code>"


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    parts = [f'<h3 id="{esc(op["operationId"])}"><code>{esc(method.upper())} {esc(path)}</code></h3>']
    parts.append(f"<p>{prose(op['summary'])}</p>")
    auth = "admin token (Bearer)" if op.get("security") else "none (public)"
    parts.append(f'<p class="muted">Authentication: {auth}.</p>')
    if op.get("parameters"):
        rows = "".join(
            f"<tr><td><code>{esc(p['name'])}</code></td><td>{esc(p['in'])}</td>"
            f"<td>{prose(p.get('description', ''))}</td></tr>"
            for p in op["parameters"]
        )
        parts.append(f"<table><tr><th>parameter</th><th>in</th><th>meaning</th></tr>{rows}</table>")
    body = op.get("requestBody", {}).get("content", {})
    for media, content in body.items():
        parts.append(f"<p>Request body (<code>{esc(media)}</code>): {_schema_link(content['schema'])}</p>")
    items = []
    for status, response in op["responses"].items():
        if "$ref" in response:
            items.append(f'<li><code>{esc(status)}</code>: error (<a href="#schema-Error">Error</a>)</li>')
            continue
        shown = ", ".join(
            f"{_schema_link(c['schema'])} as <code>{esc(m)}</code>"
            for m, c in response.get("content", {}).items()
        )
        items.append(f"<li><code>{esc(status)}</code>: {shown or 'no body'}</li>")
    parts.append("<ul>" + "".join(items) + "</ul>")
    return "\n".join(parts)


def render_reference(doc: dict[str, Any]) -> str:
    by_tag: dict[str, list[str]] = {}
    for path, methods in doc["paths"].items():
        for method in sorted(methods, key=lambda m: _METHOD_ORDER.index(m) if m in _METHOD_ORDER else 99):
            op = methods[method]
            by_tag.setdefault(op["tags"][0], []).append(_operation(method, path, op))
    nav = " ".join(f'<a href="#tag-{esc(tag)}">{esc(tag)}</a>' for tag in by_tag)
    parts = [
        f"<h1>{esc(doc['info']['title'])} HTTP API</h1>",
        f"<p>{prose(doc['info']['description'])}</p>",
        '<p>The same reference as data: <a href="/openapi.json">/openapi.json</a> (OpenAPI '
        f"{esc(doc['openapi'])}).</p>",
        f'<nav>{nav} <a href="#schemas">schemas</a></nav>',
    ]
    for tag, operations in by_tag.items():
        parts.append(f'<h2 id="tag-{esc(tag)}">{esc(tag)}</h2>')
        parts.extend(operations)
    parts.append('<h2 id="schemas">Schemas</h2>')
    for name, schema in doc["components"]["schemas"].items():
        parts.append(f'<h3 id="schema-{esc(name)}">{esc(name)}</h3>' + json_block(schema))
    return document(f"{doc['info']['title']} API reference", "\n".join(parts))
