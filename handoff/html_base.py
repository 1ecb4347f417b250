"""The HTML skeleton shared by the integration pages and the API reference: one file, no scripts.

Everything is rendered on the server and escaped here; the pages must work offline.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

_TICKS = re.compile(r"`([^`]+)`")

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
h3{margin:1.4rem 0 .4rem}code{background:#f3f3f3;padding:0 .2rem;border-radius:3px}
pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:.8rem;overflow:auto;border-radius:4px}
pre code{background:none;padding:0}table{border-collapse:collapse}td,th{border:1px solid #ddd;
padding:.2rem .5rem;text-align:left;vertical-align:top}.muted{color:#666}.method{font-weight:bold}
.error{color:#a40000}
.warning{background:#fff5d6;border-left:4px solid #e0a800;padding:.4rem .6rem}nav a{margin-right:.8rem}
"""


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def prose(text: str) -> str:
    """Escaped text where `backticks` become <code>."""
    return _TICKS.sub(lambda m: f"<code>{m.group(1)}</code>", esc(text))


def code_block(text: str, language: str = "") -> str:
    css = f' class="language-{esc(language)}"' if language else ""
    return f"<pre><code{css}>{esc(text)}</code></pre>"


def json_block(value: Any) -> str:
    return code_block(json.dumps(value, indent=2, ensure_ascii=False), "json")


def document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )
