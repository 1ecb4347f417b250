"""`inbound check` on a SQLite URL whose file does not exist: exit 2, and no empty file left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import main


def test_check_of_a_missing_sqlite_file_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "x" / "none.db"
    missing.parent.mkdir()
    code = main(["--database-url", f"sqlite+aiosqlite:///{missing}", "check"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(missing) in err and "inbound migrate" in err
    assert not missing.exists() and list(missing.parent.iterdir()) == []


def test_check_of_an_existing_file_without_tables_still_says_migrate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    code = main(["--database-url", f"sqlite+aiosqlite:///{empty}", "check"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot read the ledger" in err and "inbound migrate" in err
