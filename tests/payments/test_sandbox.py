"""The sandbox gateway: its hosted card page, the test cards, and notifications over real HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from abonent.billing.selectors import balance
from abonent.payments.gateways.sandbox import SANDBOX_3DS_CODE, TestCard
from abonent.payments.models import Payment, PaymentStatus, SandboxEvent, SandboxPayment, WebhookEvent
from abonent.payments.services.payments import LineRequest, start_payment

Outcome = WebhookEvent.Outcome


def start(account, user, origin: str, amount: str = "1500.00") -> tuple[Payment, str]:  # type: ignore[no-untyped-def]
    started = start_payment(
        lines=[LineRequest(account=account, amount=Decimal(amount))],
        origin=Payment.Origin.CABINET,
        return_url=f"{origin}/cabinet/payments/{{ref}}/",
        created_by=user,
        save_card=True,
        notify_url=f"{origin}/api/v1/payments/webhooks/sandbox",
    )
    return started.payment, started.redirect_url.split("://", 1)[1].split("/", 1)[1]


def pay(client: Client, path: str, number: str):  # type: ignore[no-untyped-def]
    return client.post(f"/{path}", {"number": number, "expiry": "12/29", "cvc": "123"})


@pytest.mark.django_db
class TestHostedPage:
    def test_shows_the_amount_and_the_test_cards(self, client, account, customer, debt) -> None:  # type: ignore[no-untyped-def]
        _payment, path = start(account, customer, "http://testserver")
        page = client.get(f"/{path}").content.decode()
        assert "1\xa0500,00 ₽" in page or "1 500,00 ₽" in page
        assert "4111 1111 1111 1111" in page and "ТЕСТОВЫЙ РЕЖИМ" in page
        assert account.number not in page.split("</footer>")[0].split('class="purpose"')[0]

    @pytest.mark.parametrize(
        ("number", "error"),
        [
            ("4111", "Номер карты состоит из 12–19 цифр."),
            ("4111 1111 1111 1112", "В номере карты опечатка: проверьте цифры."),
            ("5555 5555 5555 4444", "Песочница принимает только тестовые карты, перечисленные ниже."),
        ],
    )
    def test_refuses_other_cards_with_a_clear_error(
        self, client, account, customer, debt, number, error
    ) -> None:  # type: ignore[no-untyped-def]
        _payment, path = start(account, customer, "http://testserver")
        response = pay(client, path, number)
        assert response.status_code == 200
        assert error in response.content.decode()

    def test_decline_card_returns_to_the_shop(self, client, account, customer, debt) -> None:  # type: ignore[no-untyped-def]
        payment, path = start(account, customer, "http://testserver")
        response = pay(client, path, TestCard.DECLINE)
        assert response.status_code == 302
        assert response["Location"] == f"http://testserver/cabinet/payments/{payment.public_id}/"
        assert SandboxPayment.objects.get().status == PaymentStatus.DECLINED

    def test_3ds_card_asks_for_the_code(self, client, account, customer, debt) -> None:  # type: ignore[no-untyped-def]
        _payment, path = start(account, customer, "http://testserver")
        response = pay(client, path, TestCard.THREE_DS)
        assert response["Location"].endswith("/3ds/")
        wrong = client.post(response["Location"], {"code": "000000"})
        assert "Неверный код" in wrong.content.decode()
        right = client.post(response["Location"], {"code": SANDBOX_3DS_CODE})
        assert right.status_code == 302
        sandbox = SandboxPayment.objects.get()
        assert sandbox.status == PaymentStatus.SUCCEEDED
        assert list(SandboxEvent.objects.order_by("created_at", "id").values_list("status", flat=True)) == [
            PaymentStatus.WAITING_3DS,
            PaymentStatus.SUCCEEDED,
        ]

    def test_three_wrong_codes_decline(self, client, account, customer, debt) -> None:  # type: ignore[no-untyped-def]
        _payment, path = start(account, customer, "http://testserver")
        code_page = pay(client, path, TestCard.THREE_DS)["Location"]
        for _ in range(3):
            client.post(code_page, {"code": "000000"})
        assert SandboxPayment.objects.get().status == PaymentStatus.DECLINED

    def test_a_paid_page_cannot_be_paid_again(self, client, account, customer, debt) -> None:  # type: ignore[no-untyped-def]
        _payment, path = start(account, customer, "http://testserver")
        pay(client, path, TestCard.SUCCESS)
        again = pay(client, path, TestCard.SUCCESS)
        assert "уже обработан" in again.content.decode()
        assert SandboxEvent.objects.count() == 1

    def test_unknown_page_is_404(self, client, db) -> None:  # type: ignore[no-untyped-def]
        assert client.get("/payments/sandbox/sbx_nope/").status_code == 404


@pytest.mark.django_db(transaction=True)
class TestDeliveryOverHttp:
    """The notifications travel over HTTP to the live server: late, twice and newest first."""

    def test_3ds_payment_is_credited_once(self, live_server, account, customer, debt) -> None:  # type: ignore[no-untyped-def]
        payment, path = start(account, customer, live_server.url)
        client = Client()
        code_page = pay(client, path, TestCard.THREE_DS)["Location"]
        assert WebhookEvent.objects.count() == 0  # the 3-DS notice waits for the final one (out of order)
        client.post(code_page, {"code": SANDBOX_3DS_CODE})

        outcomes = list(WebhookEvent.objects.order_by("id").values_list("status", "outcome"))
        assert outcomes == [
            (PaymentStatus.SUCCEEDED, Outcome.APPLIED),
            (PaymentStatus.WAITING_3DS, Outcome.STALE),
            (PaymentStatus.SUCCEEDED, Outcome.DUPLICATE),
            (PaymentStatus.WAITING_3DS, Outcome.DUPLICATE),
        ]
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED
        assert balance(account=account) == Decimal("0.00")
        assert set(SandboxEvent.objects.values_list("deliveries", "last_response")) == {(2, "200")}

    def test_in_order_delivery_when_configured(
        self, live_server, account, customer, debt, quick_sandbox, settings
    ) -> None:  # type: ignore[no-untyped-def]
        settings.PAYMENTS_SANDBOX = {**quick_sandbox, "out_of_order": False, "copies": 1}
        payment, path = start(account, customer, live_server.url)
        client = Client()
        code_page = pay(client, path, TestCard.THREE_DS)["Location"]
        assert list(WebhookEvent.objects.values_list("status", "outcome")) == [
            (PaymentStatus.WAITING_3DS, Outcome.APPLIED)
        ]
        client.post(code_page, {"code": SANDBOX_3DS_CODE})
        assert WebhookEvent.objects.filter(outcome=Outcome.APPLIED).count() == 2
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED

    def test_timeout_card_is_cancelled_later(self, live_server, account, customer, debt) -> None:  # type: ignore[no-untyped-def]
        payment, path = start(account, customer, live_server.url)
        response = pay(Client(), path, TestCard.TIMEOUT)
        assert "Банк пока не ответил" in response.content.decode()
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.CANCELLED
        assert balance(account=account) == Decimal("1500.00")
