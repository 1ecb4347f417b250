"""`make run` loads every example as a demo connector, with its rules, and prints a working curl."""

from __future__ import annotations

import shlex
from pathlib import Path

import httpx

from demo import first_curl, load_demo, load_examples, print_welcome
from settings import load_settings
from storage.database import Database
from storage.migrate import migrate


async def test_demo_loads_examples_twice_without_duplicating(tmp_path: Path) -> None:
    settings = load_settings(
        environ={}, database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}", admin_token="a" * 20
    )
    db = Database(settings.database_url)
    await migrate(db)
    await db.dispose()
    first = await load_demo(settings)
    again = await load_demo(settings)
    assert [d.id for d in first] == [d.id for d in again] == [f"demo-{slug}" for slug, _ in load_examples()]
    expected_rules = sum(len(example.get("rules", [])) for _, example in load_examples())
    db = Database(settings.database_url)
    async with db.read() as conn:
        from storage.rules import list_rules

        assert len(await list_rules(conn)) == expected_rules
    await db.dispose()


def test_the_printed_curl_carries_the_example_token() -> None:
    settings = load_settings(environ={}, admin_token="adm_example_token_123")
    examples = load_examples()
    from demo import DemoConnector

    loaded = [DemoConnector(f"demo-{slug}", example["title"], example) for slug, example in examples]
    qualifio = next(d for d in loaded if "qualifio" in d.id)
    command = shlex.split(first_curl(settings, qualifio))
    assert command[:4] == ["curl", "-sS", "-X", "POST"]
    assert "token=" in command[4] and command[4].startswith(f"{settings.base_url}/ingest/demo-qualifio")
    assert httpx.URL(command[4]).params["token"] == qualifio.example["connector"]["secret"]


def test_print_welcome(capsys: object) -> None:
    settings = load_settings(environ={}, admin_token="adm_example_token_123")
    from demo import DemoConnector

    loaded = [DemoConnector(f"demo-{slug}", example["title"], example) for slug, example in load_examples()]
    print_welcome(settings, loaded)
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert (
        "adm_example_token_123" in out and "curl -sS -X POST" in out and "demo-qualifio-article-read" in out
    )
