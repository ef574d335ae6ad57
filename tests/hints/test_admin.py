"""Staff edit hint rules in the admin; a bad rule is refused with a clear message."""

from __future__ import annotations

import pytest
from django.urls import reverse

from abonent.hints.models import HintRule

pytestmark = pytest.mark.django_db


def test_admin_lists_and_opens_rules(client_for, admin) -> None:  # type: ignore[no-untyped-def]
    client = client_for(admin)
    assert client.get(reverse("admin:hints_hintrule_changelist")).status_code == 200
    rule = HintRule.objects.first()
    page = client.get(reverse("admin:hints_hintrule_change", args=[rule.pk])).content.decode()
    assert "readings_window_closes_within" in page  # the conditions help lists every condition


def test_admin_refuses_unknown_parameters(client_for, admin) -> None:  # type: ignore[no-untyped-def]
    response = client_for(admin).post(
        reverse("admin:hints_hintrule_add"),
        {
            "name": "Проверка",
            "condition": "readings_window_closes_within",
            "parameters": '{"weeks": 1}',
            "text": "Осталось {days_left_words}",
            "tone": "warning",
            "priority": 10,
            "audience": "all",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "weeks" in response.content.decode()
    assert not HintRule.objects.filter(name="Проверка").exists()


def test_operators_cannot_open_the_rules(client_for, operator) -> None:  # type: ignore[no-untyped-def]
    response = client_for(operator).get(reverse("admin:hints_hintrule_changelist"))
    assert response.status_code in (302, 403)
