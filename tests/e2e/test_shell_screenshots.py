"""The page shell in a real browser: styles applied, no sideways scrolling, keyboard first."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Wider than the viewport by this many pixels means the page scrolls sideways on a phone.
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
ROOT_FONT_SIZE = "getComputedStyle(document.documentElement).fontSize"


def sign_in(page, base_url: str, login: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", login)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize(("path", "name"), [("/", "home"), ("/login/", "login"), ("/no-such-page/", "404")])
def test_public_pages_use_the_cabinet_type_and_fit_the_screen(live_server, page, path, name) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}{path}")
    assert page.evaluate(ROOT_FONT_SIZE) == "18px"
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, f"shell-{name}")


def test_skip_link_is_the_first_tab_stop_and_shows(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.bounding_box()["y"] >= 0  # moved into view on focus
    skip.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_cabinet_shell_marks_the_current_page(live_server, page, customer) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url, customer.phone)
    current = page.locator(".main-nav [aria-current=page]")
    assert current.inner_text().strip() == "Главная"
    assert page.get_by_test_id("account-card").count() == 1
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "shell-dashboard")


def test_console_shell_is_denser_and_shows_the_style_guide(live_server, page, operator, account) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url, operator.username)
    page.goto(f"{live_server.url}/console/?q={account.number}")
    assert page.evaluate(ROOT_FONT_SIZE) == "16px"
    assert page.locator("#results").get_by_role("link", name=account.number).is_visible()
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "shell-console")

    page.goto(f"{live_server.url}/console/styleguide/")
    assert page.locator("[aria-invalid=true]").count() >= 2  # the form with errors shows its error state
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "shell-styleguide")
