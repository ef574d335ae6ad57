"""The YooKassa adapter against a local server speaking YooKassa's documented API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import timezone

from abonent.billing.selectors import balance
from abonent.payments.errors import GatewayError
from abonent.payments.gateways import IncomingWebhook
from abonent.payments.gateways.yookassa import YooKassaGateway
from abonent.payments.models import Payment, PaymentStatus, SavedCard, WebhookEvent
from abonent.payments.services.payments import LineRequest, charge_saved_card, refund_payment, start_payment
from abonent.payments.services.webhooks import receive_webhook
from tests.payments.yookassa_fake import SECRET, SHOP_ID, FakeYooKassa

pytestmark = pytest.mark.django_db
Outcome = WebhookEvent.Outcome
YOOKASSA_IP = "185.71.76.10"  # inside 185.71.76.0/27, one of YooKassa's published networks


@pytest.fixture
def fake(settings) -> Iterator[FakeYooKassa]:  # type: ignore[no-untyped-def]
    with FakeYooKassa() as server:
        settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY = SHOP_ID, SECRET
        settings.YOOKASSA_API_URL = server.url
        settings.YOOKASSA_TRUSTED_NETWORKS = []
        yield server


@pytest.fixture
def payment(fake, account, customer, debt) -> Payment:  # type: ignore[no-untyped-def]
    started = start_payment(
        lines=[LineRequest(account=account, amount=Decimal("1500.00"))],
        origin=Payment.Origin.CABINET,
        return_url="https://lk.example.ru/cabinet/payments/{ref}/",
        created_by=customer,
        save_card=True,
        gateway_name="yookassa",
    )
    assert started.redirect_url == f"https://yoomoney.example/checkout/{started.payment.gateway_payment_id}"
    return started.payment


def notice(event: str, payment_id: str, status: str = "succeeded", amount: str = "1500.00") -> bytes:
    """Return a notification body as YooKassa sends it."""
    return json.dumps(
        {
            "type": "notification",
            "event": event,
            "object": {"id": payment_id, "status": status, "amount": {"value": amount, "currency": "RUB"}},
        }
    ).encode()


def deliver(body: bytes, ip: str = YOOKASSA_IP) -> WebhookEvent:
    receive_webhook(gateway_name="yookassa", incoming=IncomingWebhook(body=body, remote_ip=ip))
    return WebhookEvent.objects.order_by("-id").first()  # type: ignore[return-value]


def test_create_sends_the_documented_request(fake: FakeYooKassa, payment: Payment) -> None:
    request = fake.requests[0]
    assert (request["method"], request["path"], request["key"]) == (
        "POST",
        "/v3/payments",
        payment.idempotency_key,
    )
    body = request["body"]
    assert body["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert body["capture"] is True and body["save_payment_method"] is True
    assert body["confirmation"] == {
        "type": "redirect",
        "return_url": f"https://lk.example.ru/cabinet/payments/{payment.public_id}/",
    }
    assert body["metadata"]["reference"] == str(payment.public_id)


def test_succeeded_notification_is_verified_with_the_api_and_credited_once(
    fake: FakeYooKassa,
    payment: Payment,
    account,
    customer,  # type: ignore[no-untyped-def]
) -> None:
    fake.complete(payment.gateway_payment_id)
    body = notice("payment.succeeded", payment.gateway_payment_id)
    first, second = deliver(body), deliver(body)
    assert (first.outcome, second.outcome, second.is_duplicate) == (Outcome.APPLIED, Outcome.DUPLICATE, True)
    assert {
        "method": "GET",
        "path": f"/v3/payments/{payment.gateway_payment_id}",
        "query": "",
    } in fake.requests
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert balance(account=account) == Decimal("0.00")
    card = SavedCard.objects.get(user=customer)
    assert card.title == "MasterCard •••• 4444" and card.gateway == "yookassa"


def test_a_notification_from_outside_yookassa_networks_is_rejected(
    fake: FakeYooKassa, payment: Payment
) -> None:
    fake.complete(payment.gateway_payment_id)
    event = deliver(notice("payment.succeeded", payment.gateway_payment_id), ip="203.0.113.7")
    assert (event.outcome, event.rejection_reason, event.signature_ok) == (
        Outcome.REJECTED,
        "ip_not_trusted",
        False,
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_the_api_answer_wins_over_the_notification_body(
    fake: FakeYooKassa, payment: Payment, account
) -> None:  # type: ignore[no-untyped-def]
    # A forged "succeeded" from inside the network (or a stale one): the API says the payment is pending.
    event = deliver(notice("payment.succeeded", payment.gateway_payment_id))
    assert event.status == PaymentStatus.PENDING
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and payment.credited_at is None
    assert balance(account=account) == Decimal("1500.00")


def test_an_unknown_payment_id_is_rejected(fake: FakeYooKassa, payment: Payment) -> None:
    event = deliver(notice("payment.succeeded", "2f0e7c43-000f-5000-8000-1a2b3c4d5e6f"))
    assert (event.outcome, event.rejection_reason) == (Outcome.REJECTED, "not_confirmed_by_api")


def test_waiting_for_capture_is_captured(fake: FakeYooKassa, payment: Payment) -> None:
    fake.complete(payment.gateway_payment_id, status="waiting_for_capture")
    deliver(notice("payment.waiting_for_capture", payment.gateway_payment_id, status="waiting_for_capture"))
    capture = [r for r in fake.requests if r["path"].endswith("/capture")]
    assert capture and capture[0]["key"] == f"capture-{payment.gateway_payment_id}"
    assert capture[0]["body"]["amount"] == {"value": "1500.00", "currency": "RUB"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_a_declined_card(fake: FakeYooKassa, payment: Payment) -> None:
    fake.complete(payment.gateway_payment_id, status="canceled", party="issuer")
    deliver(notice("payment.canceled", payment.gateway_payment_id, status="canceled"))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.DECLINED


def test_autopay_charges_the_saved_card(
    fake: FakeYooKassa, payment: Payment, account, customer, electricity
) -> None:  # type: ignore[no-untyped-def]
    fake.complete(payment.gateway_payment_id)
    deliver(notice("payment.succeeded", payment.gateway_payment_id))
    card = SavedCard.objects.get(user=customer)
    from tests.payments.conftest import charge

    charge(account, electricity, "700.00", key="charge-feb", month=2)
    charged = charge_saved_card(account=account, amount=Decimal("700.00"), card=card)
    assert charged.status == PaymentStatus.SUCCEEDED
    assert fake.requests[-1]["body"]["payment_method_id"] == card.method_id
    assert balance(account=account) == Decimal("0.00")


def test_refund(fake: FakeYooKassa, payment: Payment, account, operator) -> None:  # type: ignore[no-untyped-def]
    fake.complete(payment.gateway_payment_id)
    deliver(notice("payment.succeeded", payment.gateway_payment_id))
    payment.refresh_from_db()
    refunded = refund_payment(payment=payment, refunded_by=operator)
    assert refunded.status == PaymentStatus.REFUNDED
    refund = fake.requests[-1]
    assert refund["path"] == "/v3/refunds" and refund["key"] == f"refund-{payment.idempotency_key}"
    assert refund["body"]["payment_id"] == payment.gateway_payment_id
    assert refund["body"]["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert balance(account=account) == Decimal("1500.00")


def test_list_of_the_day(fake: FakeYooKassa, payment: Payment) -> None:
    fake.complete(payment.gateway_payment_id)
    listed = YooKassaGateway().list_payments(day=timezone.localdate())
    assert [(p.gateway_payment_id, p.amount, p.reference) for p in listed] == [
        (payment.gateway_payment_id, Decimal("1500.00"), str(payment.public_id))
    ]


def test_wrong_credentials_are_a_permanent_error(fake: FakeYooKassa, payment: Payment, settings) -> None:  # type: ignore[no-untyped-def]
    settings.YOOKASSA_SECRET_KEY = "wrong"
    with pytest.raises(GatewayError) as error:
        YooKassaGateway().fetch_payment(payment.gateway_payment_id)
    assert error.value.permanent is True
