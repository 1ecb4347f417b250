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
    from connectors.auth_models import METHODS

    text = _text("auth-methods.md")
    names = [*METHODS, *PRESETS]
    missing = [name for name in names if f"`{name}`" not in text]
    assert not missing, f"undocumented in docs/auth-methods.md: {missing}"


def _sections(text: str) -> dict[str, str]:
    """Level-2 sections by heading text."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {heading.strip(): body for heading, body in zip(parts[1::2], parts[2::2], strict=True)}


def _auth_models() -> dict[str, type]:
    from connectors.auth_models import METHODS, AuthSettings

    models = {cls.model_fields["method"].default: cls for cls in AuthSettings.__subclasses__()}
    assert sorted(models) == sorted(METHODS), "every auth method has one settings model"
    return models


def test_every_auth_setting_is_documented_in_its_method_section() -> None:
    sections = _sections(_text("auth-methods.md"))
    missing = []
    for method, model in _auth_models().items():
        section = sections.get(f"`{method}`")
        if section is None:
            missing.append(f"a section headed ## `{method}`")
            continue
        for name, info in model.model_fields.items():  # type: ignore[attr-defined]
            json_name = info.serialization_alias or info.alias or name
            if json_name != "method" and f"| `{json_name}` |" not in section:
                missing.append(f"{method}.{json_name}")
    assert not missing, f"undocumented auth settings in docs/auth-methods.md (a table row each): {missing}"


def test_every_connector_field_is_documented() -> None:
    from connectors.model import CREATE_ONLY, FIELDS, PATCH_ONLY

    text = _text("api.md")
    missing = [name for name in sorted({*FIELDS, *CREATE_ONLY, *PATCH_ONLY}) if f"`{name}`" not in text]
    assert not missing, f"connector fields not documented in docs/api.md: {missing}"
