"""The product shell in a real browser: home page, language switch, and sign-in as every demo role."""

from __future__ import annotations

import pytest

from abonent.demo.generator import build_demo
from abonent.demo.personas import demo_logins
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CUSTOMER_ROLES = {"customer", "tenant", "company"}


@pytest.fixture
def demo(transactional_db) -> None:  # type: ignore[no-untyped-def]
    build_demo(accounts=60, report=lambda line: None)


def test_home_page_switches_language(live_server, page, demo) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url)
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.get_by_test_id("login-link").inner_text().strip() == "Войти"
    screenshot(page, "home-ru")

    page.get_by_test_id("lang-en").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_test_id("login-link").inner_text().strip() == "Sign in"
    screenshot(page, "home-en")

    page.get_by_test_id("lang-ru").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ru"


@pytest.mark.parametrize("login", demo_logins(), ids=lambda login: login.role)
def test_each_demo_role_signs_in(live_server, page, demo, login) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Телефон или эл. почта").fill(login.login)
    page.get_by_label("Пароль").fill(login.password)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_load_state()
    if login.role in CUSTOMER_ROLES:
        assert page.url.endswith("/cabinet/")
        assert page.get_by_test_id("account-card").count() >= 1
    else:
        assert page.url.endswith("/console/")
    screenshot(page, f"signed-in-{login.role}")
    page.get_by_test_id("logout").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("login-link").is_visible()


def test_wrong_password_shows_a_clear_error(live_server, page, demo) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Телефон или эл. почта").fill("+7 912 000-00-01")
    page.get_by_label("Пароль").fill("not-the-password")
    page.get_by_role("button", name="Войти").click()
    assert page.get_by_text("Неверный телефон, эл. почта или пароль").is_visible()
    screenshot(page, "login-error")
