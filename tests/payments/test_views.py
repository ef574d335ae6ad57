"""Cabinet payment pages: who may pay and see what, the pay form, the result, history, autopay, pay links."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from freezegun import freeze_time

from abonent.billing.selectors import balance
from abonent.payments.models import AutopaySetting, Payment, PaymentStatus, SandboxPayment, SavedCard
from abonent.payments.services.links import pay_link_token
from abonent.payments.services.webhooks import receive_webhook
from tests.factories import AccountAccessFactory, AccountFactory, AccountServiceFactory
from tests.payments.conftest import charge
from tests.payments.helpers import notification

pytestmark = pytest.mark.django_db


def credit(payment: Payment) -> None:
    receive_webhook(gateway_name="sandbox", incoming=notification(payment, PaymentStatus.SUCCEEDED))


def test_the_form_prefills_the_debt(client_for, customer, account, debt) -> None:  # type: ignore[no-untyped-def]
    page = client_for(customer).get("/cabinet/payments/").content.decode()
    assert account.number in page
    assert 'value="1500,00"' in page


def test_paying_redirects_to_the_gateway(client_for, customer, account, debt) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).post(
        "/cabinet/payments/",
        {f"pay_{account.pk}": "on", f"amount_{account.pk}": "1 200,50", "save_card": "on"},
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert response["Location"] == f"http://testserver/payments/sandbox/{payment.gateway_payment_id}/"
    assert (payment.amount, payment.save_card, payment.created_by) == (Decimal("1200.50"), True, customer)
    assert [(line.account, line.amount) for line in payment.lines.all()] == [(account, Decimal("1200.50"))]


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("abc", "Введите сумму в рублях и копейках, например 1500,00."),
        ("0", "Сумма должна быть больше нуля."),
    ],
)
def test_a_bad_amount_gets_a_clear_error(client_for, customer, account, debt, amount, error) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).post(
        "/cabinet/payments/", {f"pay_{account.pk}": "on", f"amount_{account.pk}": amount}
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Payment.objects.exists()


def test_a_company_pays_many_accounts_at_once(client_for, customer, account, electricity, debt) -> None:  # type: ignore[no-untyped-def]
    others = []
    for index in range(11):
        other = AccountFactory(
            number=f"66009900{index:02d}", branch=account.branch, customer=account.customer
        )
        AccountAccessFactory(user=customer, account=other)
        AccountServiceFactory(account=other, service=electricity, started_on=other.opened_on)
        charge(other, electricity, f"{100 + index}.00", key=f"c-{index}")
        others.append(other)
    client = client_for(customer)
    page = client.get("/cabinet/payments/").content.decode()
    assert all(other.number in page for other in others)
    data = {f"pay_{acc.pk}": "on" for acc in [account, *others]}
    data |= {f"amount_{acc.pk}": str(balance(account=acc)).replace(".", ",") for acc in [account, *others]}
    data[f"amount_{others[0].pk}"] = "50,00"  # a partial payment on one of them
    assert client.post("/cabinet/payments/", data).status_code == 302
    payment = Payment.objects.get()
    assert payment.lines.count() == 12
    credit(payment)
    assert balance(account=account) == Decimal("0.00")
    assert balance(account=others[0]) == Decimal("50.00")
    assert all(balance(account=other) == Decimal("0.00") for other in others[1:])
    result = client.get(f"/cabinet/payments/{payment.public_id}/").content.decode()
    assert "Платёж зачислен" in result and others[5].number in result


def test_the_result_page_polls_until_the_notice(client_for, customer, account, debt) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    client.post("/cabinet/payments/", {f"pay_{account.pk}": "on", f"amount_{account.pk}": "1500"})
    payment = Payment.objects.get()
    waiting = client.get(f"/cabinet/payments/{payment.public_id}/").content.decode()
    assert 'hx-trigger="every 2s"' in waiting and "Ждём подтверждения" in waiting
    credit(payment)
    fragment = client.get(
        f"/cabinet/payments/{payment.public_id}/status/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "hx-trigger" not in fragment
    assert "долга нет" in fragment
    assert "Квитанция" in fragment


def test_history_lists_payments_with_receipts(client_for, customer, account, debt) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    client.post("/cabinet/payments/", {f"pay_{account.pk}": "on", f"amount_{account.pk}": "1500"})
    payment = Payment.objects.get()
    credit(payment)
    page = client.get(f"/cabinet/payments/history/?account={account.pk}").content.decode()
    assert payment.receipt.number in page
    receipt = client.get(f"/cabinet/payments/{payment.public_id}/receipt/").content.decode()
    assert "1\xa0500,00 ₽" in receipt and account.number in receipt


def test_the_stranger_can_neither_see_nor_pay(client_for, customer, stranger, account, debt) -> None:  # type: ignore[no-untyped-def]
    client_for(customer).post(
        "/cabinet/payments/", {f"pay_{account.pk}": "on", f"amount_{account.pk}": "1500"}
    )
    payment = Payment.objects.get()
    credit(payment)
    client = client_for(stranger)
    assert account.number not in client.get("/cabinet/payments/").content.decode()
    forged = client.post("/cabinet/payments/", {f"pay_{account.pk}": "on", f"amount_{account.pk}": "10"})
    assert forged.status_code == 200 and Payment.objects.count() == 1
    for path in ("", "status/", "receipt/"):
        assert client.get(f"/cabinet/payments/{payment.public_id}/{path}").status_code == 404
    history = client.get("/cabinet/payments/history/").content.decode()
    assert account.number not in history and payment.receipt.number not in history
    assert client.get(f"/cabinet/payments/history/?account={account.pk}").status_code == 404
    assert client.get(f"/cabinet/payments/accounts/{account.pk}/autopay/").status_code == 404
    assert client.get(f"/api/v1/payments/{payment.public_id}").status_code == 404
    assert client.get("/api/v1/payments").json() == []


def test_a_viewer_may_not_pay(client_for, account, debt) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import UserFactory

    viewer = UserFactory(username="viewer", phone="+79120000999")
    AccountAccessFactory(user=viewer, account=account, role="viewer")
    assert account.number not in client_for(viewer).get("/cabinet/payments/").content.decode()
    assert client_for(viewer).get(f"/cabinet/payments/accounts/{account.pk}/autopay/").status_code == 403


def test_autopay_needs_a_saved_card_then_turns_on_and_off(client_for, customer, account, debt) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    url = f"/cabinet/payments/accounts/{account.pk}/autopay/"
    assert "Сохранить карту для автоплатежа" in client.get(url).content.decode()
    card = SavedCard.objects.create(
        user=customer, gateway="sandbox", method_id="sbx_card_x", title="Visa •••• 1111"
    )
    response = client.post(url, {"card": card.pk, "max_amount": "3000", "notice_days": "3"})
    assert response.status_code == 302
    setting = AutopaySetting.objects.get(account=account)
    assert (setting.card, setting.max_amount, setting.notice_days, setting.enabled) == (
        card,
        Decimal("3000"),
        3,
        True,
    )
    client.post(url, {"action": "off"})
    setting.refresh_from_db()
    assert setting.enabled is False


def test_autopay_refuses_someone_elses_card(client_for, customer, stranger, account, debt) -> None:  # type: ignore[no-untyped-def]
    mine = SavedCard.objects.create(user=customer, gateway="sandbox", method_id="a", title="Visa •••• 1111")
    theirs = SavedCard.objects.create(user=stranger, gateway="sandbox", method_id="b", title="Visa •••• 2222")
    response = client_for(customer).post(
        f"/cabinet/payments/accounts/{account.pk}/autopay/",
        {"card": theirs.pk, "max_amount": "100", "notice_days": "3"},
    )
    assert response.status_code == 200 and not AutopaySetting.objects.exists()
    assert mine.title in response.content.decode() and theirs.title not in response.content.decode()


class TestPayLink:
    def test_pays_the_fixed_amount_without_signing_in(self, client, account, debt) -> None:  # type: ignore[no-untyped-def]
        token = pay_link_token(account=account, amount=Decimal("1500.00"))
        page = client.get(f"/pay/{token}/").content.decode()
        assert account.number in page and "1\xa0500,00 ₽" in page
        assert "кв." not in page  # the flat is not shown to whoever holds the link
        response = client.post(f"/pay/{token}/", {"amount": "1"})  # an amount in the form is ignored
        payment = Payment.objects.get()
        assert response["Location"].endswith(f"/payments/sandbox/{payment.gateway_payment_id}/")
        assert (payment.amount, payment.origin, payment.created_by) == (Decimal("1500.00"), "link", None)
        credit(payment)
        done = client.get(f"/pay/done/{payment.public_id}/").content.decode()
        assert "Платёж зачислен" in done and account.number not in done

    def test_a_tampered_link_gets_a_clear_error(self, client, account, debt) -> None:  # type: ignore[no-untyped-def]
        token = pay_link_token(account=account, amount=Decimal("1500.00"))
        for bad in (
            token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
            token.replace(":", ":x", 1),
            "nonsense",
        ):
            response = client.get(f"/pay/{bad}/")
            assert response.status_code == 400
            assert "Ссылка на оплату повреждена или недействительна" in response.content.decode()
        assert client.post(f"/pay/{token[:-2]}zz/").status_code == 400
        assert not Payment.objects.exists()

    def test_an_expired_link(self, client, account, debt, settings) -> None:  # type: ignore[no-untyped-def]
        with freeze_time(timezone.now() - timedelta(days=settings.PAYMENTS_LINK_TTL_DAYS + 1)):
            token = pay_link_token(account=account, amount=Decimal("1500.00"))
        response = client.get(f"/pay/{token}/")
        assert response.status_code == 400
        assert "Срок действия ссылки на оплату истёк" in response.content.decode()


def test_a_pay_link_result_opens_only_in_the_browser_that_paid(client, account, debt) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    token = pay_link_token(account=account, amount=Decimal("10.00"))
    client.post(f"/pay/{token}/")
    payment = Payment.objects.get()
    assert client.get(f"/pay/done/{payment.public_id}/").status_code == 200
    assert Client().get(f"/pay/done/{payment.public_id}/").status_code == 404


def test_the_api_starts_and_shows_payments(client_for, customer, stranger, account, debt) -> None:  # type: ignore[no-untyped-def]
    body = {
        "lines": [{"account_id": account.pk, "amount": "1500.00"}],
        "return_url": "https://app.example/{ref}",
    }
    foreign = client_for(stranger).post("/api/v1/payments", body, content_type="application/json")
    assert foreign.status_code == 404 and not Payment.objects.exists()
    response = client_for(customer).post("/api/v1/payments", body, content_type="application/json")
    assert response.status_code == 201
    payment = Payment.objects.get()
    redirect = f"http://testserver/payments/sandbox/{payment.gateway_payment_id}/"
    assert response.json()["redirect_url"] == redirect  # our hosted page, not the app's site
    sandbox = SandboxPayment.objects.get()
    assert sandbox.webhook_url == "http://testserver/api/v1/payments/webhooks/sandbox"
    assert sandbox.return_url == f"https://app.example/{payment.public_id}"
    credit(payment)
    shown = client_for(customer).get(f"/api/v1/payments/{payment.public_id}").json()
    assert (shown["status"], shown["amount"], shown["receipt_number"]) == (
        "succeeded",
        "1500.00",
        payment.receipt.number,
    )
    assert client_for(customer).get(f"/api/v1/payments?account_id={account.pk}").json()[0][
        "reference"
    ] == str(payment.public_id)
