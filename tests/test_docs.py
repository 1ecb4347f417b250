"""The docs keep up with the code: every setting, route and auth method is documented."""

from __future__ import annotations

import re
from pathlib import Path

from app import ROUTES
from settings import Settings

DOCS = Path(__file__).parent.parent / "docs"


def _text(name: str) -> str:
    return (DOCS / name).read_text()


def test_every_setting_is_documented() -> None:
    text = _text("settings.md")
    missing = [name for name in Settings().env_names() if f"`{name}`" not in text]
    assert not missing, f"undocumented settings in docs/settings.md: {missing}"


def test_every_route_is_documented() -> None:
    text = "\n".join(path.read_text() for path in sorted(DOCS.glob("*.md")))
    documented = set(re.findall(r"^#+ `?([A-Z]+) (/[^\s`]*)`?", text, flags=re.MULTILINE))
    missing = []
    for route in ROUTES:
        for method in sorted(route.methods or []):
            if method == "HEAD":
                continue
            if (method, route.path) not in documented:
                missing.append(f"{method} {route.path}")
    assert not missing, f"undocumented routes (a heading such as `GET /path` in docs/*.md): {missing}"


def test_every_auth_method_and_preset_is_documented() -> None:
    from connectors.auth import PRESETS

    text = _text("auth-methods.md")
    names = ["query_token", "header_token", "hub_signature", *PRESETS]
    missing = [name for name in names if f"`{name}`" not in text]
    assert not missing, f"undocumented in docs/auth-methods.md: {missing}"
