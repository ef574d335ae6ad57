"""Sign-in pages: password, one-time code, password reset; clear errors and the resend countdown."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from abonent.identity.models import User, UserSession
from abonent.messaging.models import OutboundMessage
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_the_login_page_offers_every_way_in(client: Client) -> None:
    body = client.get("/login/").content.decode()
    for name in ("identity:code_login", "identity:password_reset", "identity:register"):
        assert reverse(name) in body


def test_password_sign_in_records_the_session(client: Client, customer: User) -> None:
    response = client.post(
        "/login/", {"username": "8 (912) 345-67-89", "password": PASSWORD}, HTTP_USER_AGENT="UA-1"
    )
    assert response.status_code == 302
    session = UserSession.objects.get(user=customer)
    assert (session.user_agent, session.session_key) == ("UA-1", client.session.session_key)


def test_code_sign_in_end_to_end(client: Client, customer: User, sent_code) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/login/code/", {"contact": "8 912 345 67 89"})
    assert response.headers["Location"] == reverse("identity:code_login_confirm")
    page = client.get(response.headers["Location"])
    assert "+7 (912) ***-**-89" in page.content.decode()
    assert (
        'inputmode="numeric"' in page.content.decode()
        and 'autocomplete="one-time-code"' in page.content.decode()
    )
    assert page.context["resend_after"] == 60
    response = client.post(reverse("identity:code_login_confirm"), {"code": sent_code(customer.phone)})
    assert response.status_code == 302
    assert client.get("/cabinet/").context["user"] == customer


def test_a_wrong_code_says_how_many_tries_are_left(client: Client, customer: User, sent_code) -> None:  # type: ignore[no-untyped-def]
    client.post("/login/code/", {"contact": customer.phone})
    wrong = _wrong(sent_code(customer.phone))
    response = client.post(reverse("identity:code_login_confirm"), {"code": wrong})
    assert response.status_code == 200
    assert "Неверный код. Осталось 4 попытки." in response.content.decode()
    for _ in range(4):
        response = client.post(reverse("identity:code_login_confirm"), {"code": wrong})
    assert "Слишком много неверных попыток ввода кода. Запросите новый код." in response.content.decode()
    assert response.context["expired"] is True


def test_an_expired_code_says_so(client: Client, customer: User, sent_code) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2026-03-02 10:00"):
        client.post("/login/code/", {"contact": customer.phone})
        code = sent_code(customer.phone)
    with freeze_time("2026-03-02 10:06"):
        response = client.post(reverse("identity:code_login_confirm"), {"code": code})
    assert "Срок действия кода истёк. Запросите новый код." in response.content.decode()


def test_an_unknown_phone_gets_the_same_page_but_no_message(client: Client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/login/code/", {"contact": "+79990001122"})
    assert response.headers["Location"] == reverse("identity:code_login_confirm")
    assert not OutboundMessage.objects.exists()
    response = client.post(reverse("identity:code_login_confirm"), {"code": "123456"})
    assert "Неверный код" in response.content.decode()


def test_a_bad_contact_is_explained(client: Client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/login/code/", {"contact": "12345"})
    assert "Введите номер мобильного телефона (+7 …) или адрес эл. почты." in response.content.decode()


def test_a_code_needs_six_digits(client: Client, customer: User) -> None:
    client.post("/login/code/", {"contact": customer.phone})
    response = client.post(reverse("identity:code_login_confirm"), {"code": "12"})
    assert "Код состоит из 6 цифр." in response.content.decode()


def test_resend_is_refused_within_a_minute_then_sends_a_new_code(
    client: Client, customer: User, sent_code
) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2026-03-02 10:00:00"):
        client.post("/login/code/", {"contact": customer.phone})
        first = sent_code(customer.phone)
    with freeze_time("2026-03-02 10:00:30"):
        response = client.post(reverse("identity:resend_code"), {"flow": "login"}, follow=True)
        assert "Новый код можно будет отправить через 30 секунд." in response.content.decode()
        assert response.context["resend_after"] == 30
    with freeze_time("2026-03-02 10:01:05"):
        response = client.post(reverse("identity:resend_code"), {"flow": "login"}, follow=True)
        assert "Новый код отправлен." in response.content.decode()
        second = sent_code(customer.phone)
        assert OutboundMessage.objects.filter(recipient=customer.phone).count() == 2
        response = client.post(reverse("identity:code_login_confirm"), {"code": second})
    assert response.status_code == 302 or first == second


def test_asking_again_for_the_same_phone_goes_back_to_the_code_page(client: Client, customer: User) -> None:
    client.post("/login/code/", {"contact": customer.phone})
    response = client.post("/login/code/", {"contact": customer.phone})
    assert response.headers["Location"] == reverse("identity:code_login_confirm")


def test_code_page_without_a_request_goes_back_to_the_start(client: Client) -> None:
    assert client.get(reverse("identity:code_login_confirm")).headers["Location"] == reverse(
        "identity:code_login"
    )


def test_password_reset_by_code_signs_out_other_sessions(customer: User, sent_code) -> None:  # type: ignore[no-untyped-def]
    other = Client()
    other.post("/login/", {"username": customer.phone, "password": PASSWORD})
    assert other.get("/cabinet/").status_code == 200

    client = Client()
    client.post("/password/reset/", {"contact": customer.email})
    response = client.post(
        reverse("identity:password_reset_confirm"),
        {
            "code": sent_code(customer.email),
            "new_password1": "Brand-new-pass-42",
            "new_password2": "Brand-new-pass-42",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password("Brand-new-pass-42")
    assert other.get("/cabinet/").status_code == 302  # signed out
    assert client.get("/cabinet/").status_code == 200


def test_password_reset_explains_a_weak_or_mismatched_password(
    client: Client, customer: User, sent_code
) -> None:  # type: ignore[no-untyped-def]
    client.post("/password/reset/", {"contact": customer.phone})
    code = sent_code(customer.phone)
    response = client.post(
        reverse("identity:password_reset_confirm"), {"code": code, "new_password1": "a", "new_password2": "b"}
    )
    assert "Пароли не совпадают" in response.content.decode()
    response = client.post(
        reverse("identity:password_reset_confirm"),
        {"code": code, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.context["form"].errors["new_password1"]


def test_sign_out_ends_the_listed_session(client: Client, customer: User) -> None:
    client.post("/login/", {"username": customer.phone, "password": PASSWORD})
    client.post("/logout/")
    assert UserSession.objects.get(user=customer).ended_at is not None
