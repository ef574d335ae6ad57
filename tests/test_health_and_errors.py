"""The health check and the error pages in both languages."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_cache() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


@pytest.mark.parametrize(("language", "text"), [("ru", "Страница не найдена"), ("en", "Page not found")])
def test_not_found_page_speaks_the_chosen_language(language: str, text: str) -> None:
    client = Client(headers={"accept-language": language})
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert text in response.content.decode()


@override_settings(DEBUG=False)
def test_server_error_page_is_rendered(client) -> None:  # type: ignore[no-untyped-def]
    from django.test import RequestFactory

    from abonent.core.views import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "500" in response.content.decode()


def test_staff_console_refuses_customers(client_for, customer) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).get("/console/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")
