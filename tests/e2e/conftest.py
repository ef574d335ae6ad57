"""Browser tests: Playwright for Python driving Debian's chromium against Django's live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make between
# browser steps are still plain synchronous code, so Django's async-safety guard is lifted here only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Start chromium once per session; Django's connections are handed over on the way in and out.

    Playwright's sync API keeps its event loop running in this thread (suspended in a greenlet), so
    from its start asgiref sees an async thread and Django hands out a second set of connections (kept
    in a context variable instead of the thread-local). The first set would stay open on the test
    database unseen, and SQLite refuses what needs the only connection (`PRAGMA journal_mode`, which
    the demo's bulk load sets) with "database is locked". So each set is closed before the switch.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian chromium is not installed: run `make test` (it installs it) or apt-get install chromium"
        )
    connections.close_all()  # the thread-local set, used by the tests before the browser
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
        connections.close_all()  # the set made while the loop ran, before the thread-local one is back


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def page(request: pytest.FixtureRequest, browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=request.param, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.viewport_name = "phone" if request.param is PHONE else "desktop"  # type: ignore[attr-defined]  # screenshot names
    yield page
    context.close()


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a full-page screenshot under tests/e2e/screenshots/ and return its path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def open_page(request: pytest.FixtureRequest, browser, page) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """Return a function opening a page in a fresh browser context (another person, another phone)
    with the same viewport as `page`, so screenshots of a second person share the width's suffix."""
    contexts = []

    def open_another():  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport=page.viewport_size, locale="ru-RU")
        contexts.append(context)
        other = context.new_page()
        other.set_default_timeout(15_000)
        other.viewport_name = page.viewport_name
        return other

    yield open_another
    for context in contexts:
        context.close()
