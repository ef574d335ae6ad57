"""Pay a bill in the sandbox end to end in a real browser: the cabinet form, the gateway's hosted page,
the 3-D Secure code, the notifications over HTTP to the live server, and the new balance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from abonent.billing.models import LedgerEntry
from abonent.billing.selectors import balance
from abonent.billing.services.ledger import post_entry
from abonent.payments.gateways.sandbox import SANDBOX_3DS_CODE, TestCard
from abonent.payments.models import Payment, PaymentStatus, WebhookEvent
from abonent.payments.services.links import pay_link_token
from tests.e2e.conftest import screenshot
from tests.e2e.test_shell_screenshots import OVERFLOW, sign_in
from tests.factories import AccountServiceFactory, ServiceFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bill(settings, account):  # type: ignore[no-untyped-def]
    """A debt of 2 345,67 ₽ on the customer's account; the sandbox answers at once, twice, newest first."""
    settings.PAYMENTS_SANDBOX = {
        "secret": "e2e-secret",
        "delay_seconds": "0",
        "copies": 2,
        "out_of_order": True,
        "timeout_seconds": "0",
    }
    service = ServiceFactory(code="electricity", name="Электроснабжение")
    AccountServiceFactory(account=account, service=service, started_on=account.opened_on)
    post_entry(
        account=account, service=service, period=date(2026, 1, 1), kind=LedgerEntry.Kind.CHARGE,
        amount=Decimal("2345.67"), occurred_on=date(2026, 1, 31), source="e2e", idempotency_key="e2e-charge",
    )  # fmt: skip
    return account


def test_pay_a_bill_with_3ds_and_see_the_balance(live_server, page, customer, bill) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url, customer.phone)
    page.get_by_role("link", name="Оплатить").first.click()
    row = page.get_by_test_id(f"pay-row-{bill.number}")
    assert row.locator("input.pay-amount").input_value() == "2345,67"
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "payments-pay-form")
    page.get_by_label("Сохранить карту для автоплатежа").check()
    page.get_by_test_id("pay-submit").click()

    # The gateway's hosted page (the sandbox).
    page.wait_for_url("**/payments/sandbox/**")
    assert "2 345,67 ₽" in page.get_by_test_id("sandbox-amount").inner_text().replace("\u00a0", " ")
    assert page.evaluate(OVERFLOW) <= 0
    page.fill("#id_number", "4000 0000 0000 3220")
    page.fill("#id_expiry", "12/29")
    page.fill("#id_cvc", "123")
    screenshot(page, "payments-sandbox-card")
    page.get_by_test_id("sandbox-pay").click()
    page.wait_for_url("**/3ds/")
    page.fill("#id_code", SANDBOX_3DS_CODE)
    screenshot(page, "payments-sandbox-3ds")
    page.get_by_test_id("sandbox-confirm").click()

    # Back in the cabinet: the result page shows the credit once the notification has arrived.
    page.wait_for_url("**/cabinet/payments/*/")
    status = page.get_by_test_id("payment-status")
    status.locator("text=Платёж зачислен").wait_for()
    assert "долга нет" in page.get_by_test_id(f"balance-{bill.number}").inner_text()
    screenshot(page, "payments-result")
    assert page.evaluate(OVERFLOW) <= 0

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert balance(account=bill) == Decimal("0.00")
    assert WebhookEvent.objects.filter(outcome=WebhookEvent.Outcome.DUPLICATE).count() == 2
    assert customer.saved_cards.get().title == "Visa •••• 3220"

    page.get_by_role("link", name="История платежей").first.click()
    assert payment.receipt.number in page.content()
    screenshot(page, "payments-history")


def test_a_declined_card_takes_nothing(live_server, page, customer, bill) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url, customer.phone)
    page.goto(f"{live_server.url}/cabinet/payments/")
    page.get_by_test_id("pay-submit").click()
    page.wait_for_url("**/payments/sandbox/**")
    page.fill("#id_number", TestCard.DECLINE)
    page.fill("#id_expiry", "12/29")
    page.fill("#id_cvc", "123")
    page.get_by_test_id("sandbox-pay").click()
    page.get_by_test_id("payment-status").locator("text=Банк отклонил платёж").wait_for()
    assert balance(account=bill) == Decimal("2345.67")


def test_pay_by_link_without_signing_in(live_server, page, bill) -> None:  # type: ignore[no-untyped-def]
    token = pay_link_token(account=bill, amount=Decimal("1000.00"))
    page.goto(f"{live_server.url}/pay/{token}/")
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "payments-pay-link")
    page.get_by_test_id("paylink-pay").click()
    page.wait_for_url("**/payments/sandbox/**")
    page.fill("#id_number", TestCard.SUCCESS)
    page.fill("#id_expiry", "12/29")
    page.fill("#id_cvc", "123")
    page.get_by_test_id("sandbox-pay").click()
    page.get_by_test_id("payment-status").locator("text=Платёж зачислен").wait_for()
    assert balance(account=bill) == Decimal("1345.67")
