"""The docs keep up with the code: every setting, route and auth method is documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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
    from api.models.connectors import ConnectorInput, ConnectorPatch

    names = {
        info.alias or name
        for model in (ConnectorInput, ConnectorPatch)
        for name, info in model.model_fields.items()
    }
    assert {"name", "allowedOrigins", "testSecret", "acceptSampleChanges"} <= names
    text = _text("api.md")
    missing = [name for name in sorted(names) if f"`{name}`" not in text]
    assert not missing, f"connector fields not documented in docs/api.md: {missing}"


def test_the_builtin_event_types_requirements_are_in_the_earning_rules_doc() -> None:
    # Was: only GET /api/event-types said that ecommerce.purchase needs amount ≥ 0 and currency
    # ^[A-Z]{3}$, while earning-rules.md used the type throughout.
    import event_types

    text = _text("earning-rules.md")
    for name, spec in event_types.BUILTIN.items():
        assert f"| `{name}` |" in text, name
        properties = spec["schema"].get("properties", {})
        for group in ("counters", "tags"):
            fields = properties.get(group, {})
            for field in fields.get("required", []):
                rule = fields["properties"][field]
                assert f"`{field}`" in text, (name, field)
                if "minimum" in rule:
                    assert f"≥ {rule['minimum']}" in text, (name, field)
                if "pattern" in rule:
                    assert f"`{rule['pattern']}`" in text, (name, field)


def _page_exists(routes: list[Any], path: str) -> bool:
    from starlette.routing import Match, Mount

    for route in routes:
        if isinstance(route, Mount):
            inside = path == route.path or path.startswith(route.path + "/")
            if inside and _page_exists(route.routes, path[len(route.path) :] or "/"):
                return True
        elif route.matches({"type": "http", "path": path, "method": "GET"})[0] == Match.FULL:
            return True
    return False


def test_console_pages_named_in_the_docs_exist() -> None:
    # Was: earning-rules.md spoke of a console before there was one; now every page it names is real.
    from console.routes import mount

    routes = mount(Settings(admin_token="adm_docs_check_0123456789"))
    text = "\n".join(p.read_text() for p in [*sorted(DOCS.glob("*.md")), DOCS.parent / "README.md"])
    named = sorted(set(re.findall(r"(/console(?:/[a-z][a-z-]*)*)", text)) - {"/console/static"})
    assert "/console/rules" in named
    missing = [path for path in named if not _page_exists(routes, path)]
    assert not missing, f"console pages named in the docs that do not exist: {missing}"
    assert not _page_exists(routes, "/console/no-such-page")
