"""Browser fixtures: Playwright driving Debian's chromium (`make test` installs it).

Playwright's own browser download is not reachable here, so the tests launch /usr/bin/chromium
(INBOUND_TEST_CHROMIUM overrides the path). Screenshots go to test-artifacts/console/ for people
to look at; every page a test opens must log no JavaScript error.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.conftest import ADMIN_TOKEN, Server

CHROMIUM = os.environ.get("INBOUND_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
# As root in a container, chromium needs --no-sandbox; the rest keeps it off a closed network.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Browser]:
    """Per module, after the server: Playwright's sync API keeps an event loop running in this
    thread, so nothing else may call asyncio.run (a fresh database, an async test) meanwhile."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no chromium at {CHROMIUM}: run `make test` (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


EXPECTED_4XX = "Failed to load resource: the server responded with a status of 4"


class Console:
    """A browser tab on the console, with what it logged."""

    def __init__(self, page: Page, server: Server) -> None:
        self.page = page
        self.server = server
        self.js_errors: list[str] = []
        page.on("console", lambda m: self._console(m.type, m.text))
        page.on("pageerror", lambda e: self.js_errors.append(str(e)))
        page.set_default_timeout(15_000)

    def _console(self, kind: str, text: str) -> None:
        # A page answered 4xx on purpose (a form shown again with its error) is logged by the
        # browser too; that is HTTP doing its job, not a script failing. 5xx and the rest count.
        if kind == "error" and not text.startswith(EXPECTED_4XX):
            self.js_errors.append(text)

    def go(self, path: str) -> Page:
        self.page.goto(self.server.url + path)
        self.page.wait_for_load_state("networkidle")
        return self.page

    def login(self, name: str = "Mia") -> None:
        self.go("/console/login")
        self.page.fill("#token", ADMIN_TOKEN)
        self.page.fill("#name", name)
        self.page.click("button[type=submit]")
        self.page.wait_for_url("**/console/")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        backend = "pg" if "postgresql" in self.server.database_url else "sqlite"
        width = self.page.viewport_size["width"] if self.page.viewport_size else 0
        self.page.screenshot(path=str(ARTIFACTS / f"{name}-{width}-{backend}.png"), full_page=True)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def console(context: BrowserContext, server: Server) -> Iterator[Console]:
    tab = Console(context.new_page(), server)
    yield tab
    assert tab.js_errors == [], f"JavaScript errors in the browser: {tab.js_errors}"
