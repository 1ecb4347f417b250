"""The integration page as HTML, from the data `handoff.page.integration_page` builds."""

from __future__ import annotations

from typing import Any

from handoff.html_base import code_block, document, esc, json_block, prose

_LANGUAGES = (
    ("curl", "curl (bash)", "bash"),
    ("python", "Python", "python"),
    ("javascript", "JavaScript (Node.js)", "javascript"),
)


def render_integration(page: dict[str, Any]) -> str:
    connector, auth, example = page["connector"], page["auth"], page["example"]
    parts = [
        f"<h1>Sending events to “{esc(connector['name'])}”</h1>",
        f'<p class="muted">Connector <code>{esc(connector["id"])}</code>, event type '
        f"<code>{esc(connector['eventType'])}</code>, {esc(connector['mode'])} mode. "
        f"Generated {esc(page['generatedAt'])}.</p>",
        "<h2>Endpoint</h2>",
        f'<p><span class="method">POST</span> <code>{esc(connector["url"])}</code></p>',
        f"<p>Bodies: {', '.join(f'<code>{esc(t)}</code>' for t in page['request']['contentTypes'])}. "
        f"{prose(page['request']['batches'])}</p>",
        f"<p>{prose(page['request']['response'])}</p>",
        f"<h2>Authentication: <code>{esc(auth['method'])}</code></h2>",
        f"<p>{prose(auth['summary'])}</p>",
        "<ol>" + "".join(f"<li>{prose(step)}</li>" for step in auth["steps"]) + "</ol>",
    ]
    if "preset" in auth:
        preset = auth["preset"]
        parts.append(
            f'<p>{prose(preset["note"])} See <a href="{esc(preset["docsUrl"])}">'
            f"{esc(preset['vendor'])}'s documentation</a>.</p>"
        )
    parts.append("<details><summary>All settings</summary>" + json_block(auth["settings"]) + "</details>")
    parts.append("<h2>Ready-to-run examples</h2>")
    parts.append(
        f"<p>Replace <code>{esc(auth['placeholder'])}</code> with the connector's secret (your Inbound "
        "administrator gives it to you; it is never shown here), and the event with yours.</p>"
    )
    for key, title, language in _LANGUAGES:
        parts.append(f"<h3>{esc(title)}</h3>" + code_block(page["snippets"][key], language))
    parts += _expected(page["expectedPayload"])
    parts += _payload(example)
    parts.append("<h3>The mapped-event contract</h3>")
    parts.append(f"<p>{esc(page['mappedEventContract']['description'])}</p>")
    rows = "".join(
        f"<tr><td><code>{esc(name)}</code></td><td>{esc(text)}</td></tr>"
        for name, text in page["mappedEventContract"]["fields"].items()
    )
    parts.append(f"<table>{rows}</table>")
    parts.append(f"<h2>Current mapping (version {esc(page['mapping']['version'])})</h2>")
    parts.append(code_block(page["mapping"]["expression"], "jsonata"))
    parts += _testing(page["testing"])
    return document(f"Integration: {connector['name']}", "\n".join(parts))


def _expected(expected: dict[str, Any]) -> list[str]:
    parts = ["<h2>Expected payload</h2>", f"<p>{esc(expected['summary'])}</p>"]
    if expected["fieldsRead"]:
        rows = "".join(
            f"<tr><td><code>{esc(f['path'])}</code></td><td>{esc(f['in'])}</td>"
            f"<td>{esc(f['kind'])}{esc(', in the list ' + f['list']) if 'list' in f else ''}</td>"
            f"<td>{esc(f.get('usedFor', ''))}</td></tr>"
            for f in expected["fieldsRead"]
        )
        parts.append("<h3>Fields the mapping reads</h3>")
        parts.append(f"<table><tr><th>field</th><th>in</th><th>kind</th><th>becomes</th></tr>{rows}</table>")
    if expected["profileFields"]:
        names = ", ".join(f"<code>{esc(p)}</code>" for p in expected["profileFields"])
        parts.append(f"<p>The member is found by {names}: without it an event is ignored.</p>")
    parts.append("<h3>Shape (field names and types)</h3>" + json_block(expected["schema"]))
    return parts


def _testing(testing: dict[str, Any]) -> list[str]:
    return [
        "<h2>Trying it with test data</h2>",
        f"<p>{prose(testing['summary'])}</p>",
        "<ol>" + "".join(f"<li>{prose(step)}</li>" for step in testing["steps"]) + "</ol>",
    ]


def _payload(example: dict[str, Any]) -> list[str]:
    where = {
        "latest_event": "the latest event this connector received, with personal data replaced",
        "saved_sample": f"the saved sample “{example['sampleName']}”",
    }.get(example["source"], "a made-up event built from the fields the current mapping reads")
    parts = ["<h2>Payload</h2>", f'<h3>Example payload</h3><p class="muted">From {where}.</p>']
    for warning in example["warnings"]:
        parts.append(f'<p class="warning">⚠ {esc(warning)}</p>')
    parts.append(json_block(example["rawEvent"]))
    if example["headers"] or example["query"]:
        parts.append("<p>With these headers and query parameters:</p>")
        parts.append(json_block({"headers": example["headers"], "query": example["query"]}))
    parts.append("<h3>What the current mapping makes of it</h3>")
    if example["mappedEvents"]:
        parts.append(json_block(example["mappedEvents"]))
    for error in example["errors"]:
        parts.append(f'<p class="error">{esc(error["code"])}: {esc(error["message"])}</p>')
    return parts
