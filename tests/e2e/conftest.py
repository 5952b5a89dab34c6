"""Browser journeys: Playwright driving Debian's Chromium against pytest-django's live server.

Screenshots of every journey's steps land in ``test-artifacts/e2e/`` (kept by CI as artifacts).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("GONGJIAN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the journeys make are still
    # synchronous and single-threaded, so Django's async-safety guard does not apply. Only for the
    # browser session: other tests (e.g. the deploy check) must see the environment untouched.
    mp = pytest.MonkeyPatch()
    mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    request_finalizer = mp.undo

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: the browser journeys cannot run (bin/test installs it).")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()
    request_finalizer()


class Shots:
    """Numbered screenshots for one test: ``shots("after-login")`` → ``<test>-01-after-login.png``."""

    def __init__(self, page: object, name: str) -> None:
        self.page = page
        self.name = re.sub(r"[^\w.-]+", "_", name)
        self.n = 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, label: str) -> Path:
        self.n += 1
        path = ARTIFACTS / f"{self.name}-{self.n:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path


def _new_page(browser: object, request: pytest.FixtureRequest, width: int, height: int) -> Iterator[tuple[object, Shots]]:
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(15_000)
    shots = Shots(page, request.node.name)
    yield page, shots
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        shots("FAILED")
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture
def desktop(browser: object, request: pytest.FixtureRequest, live_server: object) -> Iterator[tuple[object, Shots]]:
    yield from _new_page(browser, request, 1280, 900)


@pytest.fixture
def phone(browser: object, request: pytest.FixtureRequest, live_server: object) -> Iterator[tuple[object, Shots]]:
    yield from _new_page(browser, request, 375, 812)


def login(page: object, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")  # type: ignore[attr-defined]
    page.fill("#id_username", username)  # type: ignore[attr-defined]
    page.fill("#id_password", password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
