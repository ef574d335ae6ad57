"""Signed-in devices (sign out one or everywhere), password lockout (django-axes) and rate limits."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from abonent.identity.models import User, UserSession
from abonent.identity.selectors import live_sessions
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _signed_in(user: User, agent: str) -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    assert client.post("/login/", {"username": user.phone, "password": PASSWORD}).status_code == 302
    return client


def test_the_sessions_page_lists_devices_and_marks_this_one(customer: User) -> None:
    phone = _signed_in(customer, "Mozilla/5.0 (Linux; Android 13) AppleWebKit Chrome/120 Mobile Safari")
    _signed_in(customer, "Mozilla/5.0 (Windows NT 10.0) Firefox/121.0")
    response = phone.get(reverse("identity:sessions"))
    rows = response.context["rows"]
    assert [row["device"] for row in rows if row["current"]] == ["Chrome, Android"]
    assert {row["device"] for row in rows} == {"Chrome, Android", "Firefox, Windows"}


def test_sign_out_everywhere_else(customer: User) -> None:
    here = _signed_in(customer, "here")
    there = _signed_in(customer, "there")
    response = here.post(reverse("identity:sessions"), {"action": "end_others"}, follow=True)
    assert "1 other session signed out." in response.content.decode() or response.status_code == 200
    assert there.get("/cabinet/").status_code == 302
    assert here.get("/cabinet/").status_code == 200
    assert [s.user_agent for s in live_sessions(user=customer)] == ["here"]


def test_sign_out_one_device(customer: User) -> None:
    here = _signed_in(customer, "here")
    there = _signed_in(customer, "there")
    target = UserSession.objects.get(user_agent="there")
    here.post(reverse("identity:sessions"), {"action": "end", "session": target.pk})
    assert there.get("/cabinet/").status_code == 302
    assert here.get("/cabinet/").status_code == 200


def test_nobody_ends_someone_elses_session(customer: User, stranger: User) -> None:
    victim = _signed_in(customer, "victim")
    attacker = Client()
    attacker.force_login(stranger)
    session = UserSession.objects.get(user=customer)
    response = attacker.post(
        reverse("identity:sessions"), {"action": "end", "session": session.pk}, follow=True
    )
    assert "Этот сеанс уже завершён." in response.content.decode()
    assert victim.get("/cabinet/").status_code == 200
    assert "victim" not in attacker.get(reverse("identity:sessions")).content.decode()


def test_a_forced_login_is_listed_too(client_for, customer: User) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    assert UserSession.objects.filter(user=customer, session_key=client.session.session_key).exists()


def test_five_wrong_passwords_lock_the_login_in_every_spelling(client: Client, customer: User) -> None:
    spellings = ["+79123456789", "8 (912) 345-67-89", "89123456789", "9123456789", "+7 912 345 67 89"]
    for spelling in spellings[:4]:
        response = client.post("/login/", {"username": spelling, "password": "wrong"})
        assert response.status_code == 200
        assert (
            "Неверный телефон, эл. почта или пароль" in response.content.decode()
            or response.context["form"].errors
        )
    response = client.post("/login/", {"username": spellings[4], "password": "wrong"})
    assert response.status_code == 429
    assert reverse("identity:code_login") in response.content.decode()
    # now even the right password is refused, from another browser and by the e-mail too
    for login in (customer.phone, customer.email):
        response = Client(REMOTE_ADDR="10.1.1.1").post("/login/", {"username": login, "password": PASSWORD})
        assert response.status_code == 429


def test_a_locked_login_can_still_sign_in_by_code(client: Client, customer: User, sent_code) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        client.post("/login/", {"username": customer.phone, "password": "wrong"})
    client.post("/login/code/", {"contact": customer.phone})
    response = client.post(reverse("identity:code_login_confirm"), {"code": sent_code(customer.phone)})
    assert response.status_code == 302
    assert client.get("/cabinet/").status_code == 200


def test_sign_in_attempts_are_limited_per_ip(client: Client, customer: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.IDENTITY_RATE_LIMITS = {**settings.IDENTITY_RATE_LIMITS, "login_ip": "3/10m"}
    for number in range(3):
        client.post("/login/", {"username": f"+7912000{number:04d}", "password": "x"})
    response = client.post("/login/", {"username": customer.phone, "password": PASSWORD})
    assert response.status_code == 429
    assert "Слишком много попыток. Попробуйте снова через" in response.content.decode()
    assert (
        Client(REMOTE_ADDR="10.2.2.2")
        .post("/login/", {"username": customer.phone, "password": PASSWORD})
        .status_code
        == 302
    )


def test_code_requests_are_limited_per_phone(customer: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.IDENTITY_RATE_LIMITS = {**settings.IDENTITY_RATE_LIMITS, "code_request_recipient": "2/h"}
    for number in range(2):  # from two addresses, so the per-IP limit is not what stops the third
        Client(REMOTE_ADDR=f"10.3.3.{number}").post("/login/code/", {"contact": customer.phone})
    response = Client(REMOTE_ADDR="10.3.3.9").post("/login/code/", {"contact": customer.phone})
    assert response.status_code == 200
    assert "Слишком много попыток. Попробуйте снова через" in response.content.decode()


def test_code_entry_is_limited_per_ip(client: Client, customer: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.IDENTITY_RATE_LIMITS = {**settings.IDENTITY_RATE_LIMITS, "code_entry_ip": "2/10m"}
    client.post("/login/code/", {"contact": customer.phone})
    for _ in range(2):
        client.post(reverse("identity:code_login_confirm"), {"code": "000000"})
    response = client.post(reverse("identity:code_login_confirm"), {"code": "000000"})
    assert "Слишком много попыток. Попробуйте снова через" in response.content.decode()
