"""Browser fixtures: Debian's chromium driven by Playwright against a server with the
console, and ``shot`` to save screenshots under ``test-output/console/``.

``console_server`` is the session's ``millstream_server`` (the app factory mounts the
console) with the admin key from its credentials file.
"""

from __future__ import annotations

import configparser
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.conftest import ServerHandle

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--headless=new",
]
SHOTS = Path(__file__).resolve().parents[3] / "test-output" / "console"


@dataclass(frozen=True)
class ConsoleServer:
    url: str
    access_key_id: str
    access_key_secret: str
    log: Callable[[], str]


def read_credentials(path: Path) -> tuple[str, str] | None:
    """(access_key_id, access_key_secret) of the [default] profile, if there is one."""
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    if not parser.has_section("default"):
        return None
    section = parser["default"]
    key_id, secret = section.get("access_key_id"), section.get("access_key_secret")
    return (key_id, secret) if key_id and secret else None


@pytest.fixture(scope="session")
def console_server(millstream_server: ServerHandle) -> ConsoleServer:
    """The session's server (it mounts the console) and its admin key."""
    credentials = read_credentials(millstream_server.credentials_file)
    assert credentials is not None, f"no admin key in {millstream_server.credentials_file}"
    return ConsoleServer(millstream_server.url, *credentials, millstream_server.log_tail)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped: Playwright's sync API keeps an event loop running in this thread
    while it is open, which would break every asyncio test that runs after it."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


Shot = Callable[[Page, str], Path]


@pytest.fixture
def shot() -> Shot:
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
