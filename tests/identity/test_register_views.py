"""Registration pages: the bill code way end to end, clear refusals, and the meter way's honest notice."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from abonent.core.models import AuditEvent
from abonent.customers.models import Account
from abonent.identity.models import AccountAccess, User
from abonent.identity.services.registration import issue_registration_code
from abonent.identity.shortcodes import format_printable_code
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_account(branch) -> Account:  # type: ignore[no-untyped-def]
    return AccountFactory(number="6600777002", branch=branch)


def test_registration_end_to_end(client: Client, fresh_account: Account, sent_code) -> None:  # type: ignore[no-untyped-def]
    code = issue_registration_code(account=fresh_account, issued_by=None)
    response = client.post(
        "/register/",
        {
            "account_number": fresh_account.number,
            "registration_code": format_printable_code(code),
            "contact": "89120000444",
        },
    )
    assert response.headers["Location"] == reverse("identity:register_confirm")
    response = client.post(reverse("identity:register_confirm"), {"code": sent_code("+79120000444")})
    assert response.headers["Location"] == reverse("portal:dashboard")
    user = User.objects.get(phone="+79120000444")
    assert AccountAccess.objects.get(user=user).role == "owner"
    assert AuditEvent.objects.filter(
        object_type="identity.AccountAccess", reason__startswith="registration"
    ).exists()
    page = client.get("/cabinet/")
    assert page.status_code == 200 and fresh_account.number in page.content.decode()


def test_a_wrong_bill_code_is_explained(client: Client, fresh_account: Account) -> None:
    issue_registration_code(account=fresh_account, issued_by=None)
    response = client.post(
        "/register/",
        {"account_number": fresh_account.number, "registration_code": "2222-2222", "contact": "89120000444"},
    )
    assert response.status_code == 200
    assert "Неверный номер лицевого счёта или код регистрации." in response.content.decode()


def test_a_short_account_number_is_explained(client: Client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/register/", {"account_number": "12", "registration_code": "x", "contact": "x"})
    assert "Номер лицевого счёта содержит от 6 до 20 цифр." in response.content.decode()


def test_the_meter_way_says_to_use_the_bill_code(client: Client, db, settings) -> None:  # type: ignore[no-untyped-def]
    # The deployment has no payment verifier (the default one is payments'):
    settings.IDENTITY_PAYMENT_VERIFIER = "abonent.identity.verifiers.PaymentCheckUnavailable"
    body = client.get("/register/").content.decode()
    assert reverse("identity:register_meter") not in body  # not offered while payments cannot be checked
    page = client.get("/register/meter/")
    assert page.status_code == 200 and page.context["form"] is None
    assert "Воспользуйтесь кодом регистрации из квитанции." in page.content.decode()
    main = page.content.decode().lower().split("<main", 1)[1].split("</main>", 1)[0]
    assert not any(word in main for word in ("payment", "платеж", "платёж", "оплат"))


def test_the_meter_way_works_when_payments_can_be_checked(
    client: Client, settings, fresh_account: Account, sent_code
) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import MeterFactory

    settings.IDENTITY_PAYMENT_VERIFIER = "tests.identity.test_registration.MatchingPayments"
    meter = MeterFactory(account=fresh_account)
    assert reverse("identity:register_meter") in client.get("/register/").content.decode()
    response = client.post(
        "/register/meter/",
        {
            "account_number": fresh_account.number,
            "meter_serial": meter.serial_number,
            "last_payment": "1234,56",
            "contact": "new@mail.ru",
        },
    )
    assert response.headers["Location"] == reverse("identity:register_confirm")
    response = client.post(reverse("identity:register_confirm"), {"code": sent_code("new@mail.ru")})
    assert response.status_code == 302
    assert AccountAccess.objects.get(account=fresh_account).user.email == "new@mail.ru"


def test_registration_is_rate_limited_per_account_number(
    client: Client, settings, fresh_account: Account
) -> None:  # type: ignore[no-untyped-def]
    settings.IDENTITY_RATE_LIMITS = {**settings.IDENTITY_RATE_LIMITS, "registration_account": "3/h"}
    data = {
        "account_number": fresh_account.number,
        "registration_code": "2222-2222",
        "contact": "89120000444",
    }
    for _ in range(3):
        assert (
            "Неверный номер лицевого счёта или код регистрации"
            in client.post("/register/", data).content.decode()
        )
    other_ip = Client(REMOTE_ADDR="10.0.0.9")  # a new address does not help: the account number is counted
    response = other_ip.post("/register/", data)
    assert "Слишком много попыток. Попробуйте снова через" in response.content.decode()
