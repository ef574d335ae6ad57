"""Webhooks: verified, deduplicated, applied in any order, and credited to the ledger exactly once."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from abonent.billing.models import LedgerEntry
from abonent.billing.selectors import balance
from abonent.payments.models import Payment, PaymentStatus, Receipt, SavedCard, WebhookEvent
from abonent.payments.services.payments import LineRequest, start_payment
from abonent.payments.services.webhooks import receive_webhook
from tests.payments.helpers import notification

pytestmark = pytest.mark.django_db
Outcome = WebhookEvent.Outcome


@pytest.fixture
def payment(account, customer, debt) -> Payment:  # type: ignore[no-untyped-def]
    started = start_payment(
        lines=[LineRequest(account=account, amount=Decimal("1500.00"))],
        origin=Payment.Origin.CABINET,
        return_url="http://testserver/cabinet/payments/{ref}/",
        created_by=customer,
        save_card=True,
    )
    assert "/payments/sandbox/sbx_" in started.redirect_url
    return started.payment


def deliver(incoming) -> str:  # type: ignore[no-untyped-def]
    return receive_webhook(gateway_name="sandbox", incoming=incoming).outcome


def credited_entries(payment: Payment) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(source="online", reason__contains=str(payment.public_id)))


def test_a_storm_of_duplicates_and_late_events_credits_once(payment: Payment, account) -> None:  # type: ignore[no-untyped-def]
    succeeded = notification(payment, PaymentStatus.SUCCEEDED, event_id="evt_ok")
    early_3ds = notification(payment, PaymentStatus.WAITING_3DS, event_id="evt_3ds")

    outcomes = [deliver(succeeded), deliver(succeeded), deliver(early_3ds), deliver(early_3ds)]

    assert outcomes == [Outcome.APPLIED, Outcome.DUPLICATE, Outcome.STALE, Outcome.DUPLICATE]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.credited_at is not None
    assert sum(entry.amount for entry in credited_entries(payment)) == Decimal("-1500.00")
    assert balance(account=account) == Decimal("0.00")
    assert Receipt.objects.get(payment=payment).amount == Decimal("1500.00")
    log = list(WebhookEvent.objects.order_by("id").values_list("signature_ok", "is_duplicate"))
    assert log == [(True, False), (True, True), (True, False), (True, True)]


def test_another_succeeded_event_of_the_same_payment_changes_nothing(payment: Payment, account) -> None:  # type: ignore[no-untyped-def]
    deliver(notification(payment, PaymentStatus.SUCCEEDED))
    assert deliver(notification(payment, PaymentStatus.SUCCEEDED)) == Outcome.APPLIED
    assert len(credited_entries(payment)) == 1
    assert balance(account=account) == Decimal("0.00")


def test_3ds_then_success_in_order(payment: Payment) -> None:
    assert deliver(notification(payment, PaymentStatus.WAITING_3DS)) == Outcome.APPLIED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.WAITING_3DS and payment.credited_at is None
    assert deliver(notification(payment, PaymentStatus.SUCCEEDED)) == Outcome.APPLIED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.credited_at is not None


def test_a_declined_payment_never_becomes_paid(payment: Payment, account) -> None:  # type: ignore[no-untyped-def]
    deliver(notification(payment, PaymentStatus.DECLINED))
    assert deliver(notification(payment, PaymentStatus.SUCCEEDED)) == Outcome.STALE
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.DECLINED
    assert credited_entries(payment) == []
    assert balance(account=account) == Decimal("1500.00")


def test_a_forged_signature_is_rejected_and_logged(payment: Payment, account) -> None:  # type: ignore[no-untyped-def]
    forged = notification(payment, PaymentStatus.SUCCEEDED, secret="guessed-secret")
    result = receive_webhook(gateway_name="sandbox", incoming=forged)
    assert (result.outcome, result.reason, result.accepted) == (Outcome.REJECTED, "signature_invalid", False)
    event = WebhookEvent.objects.get()
    assert (event.signature_ok, event.rejection_reason, event.payment_id) == (
        False,
        "signature_invalid",
        None,
    )
    assert '"status": "succeeded"' in event.body
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert balance(account=account) == Decimal("1500.00")


def test_a_body_changed_after_signing_is_rejected(payment: Payment) -> None:
    genuine = notification(payment, PaymentStatus.DECLINED)
    tampered = genuine.body.replace(b'"declined"', b'"succeeded"')
    incoming = type(genuine)(body=tampered, headers=genuine.headers, remote_ip="10.0.0.9")
    assert receive_webhook(gateway_name="sandbox", incoming=incoming).reason == "signature_invalid"


def test_a_missing_signature_is_rejected(payment: Payment) -> None:
    genuine = notification(payment, PaymentStatus.SUCCEEDED)
    incoming = type(genuine)(body=genuine.body, headers={}, remote_ip="10.0.0.9")
    assert receive_webhook(gateway_name="sandbox", incoming=incoming).reason == "signature_missing"


def test_a_replayed_old_notification_is_rejected(payment: Payment, settings) -> None:  # type: ignore[no-untyped-def]
    old = notification(payment, PaymentStatus.SUCCEEDED, timestamp=int(time.time()) - 301)
    assert receive_webhook(gateway_name="sandbox", incoming=old).reason == "timestamp_too_old"
    settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS = 600
    assert deliver(old) == Outcome.APPLIED


def test_a_reused_event_id_with_another_body_is_rejected(payment: Payment) -> None:
    deliver(notification(payment, PaymentStatus.WAITING_3DS, event_id="evt_1"))
    result = receive_webhook(
        gateway_name="sandbox", incoming=notification(payment, PaymentStatus.SUCCEEDED, event_id="evt_1")
    )
    assert (result.outcome, result.reason) == (Outcome.REJECTED, "event_id_reused")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.WAITING_3DS


def test_a_success_for_another_amount_is_rejected(payment: Payment) -> None:
    result = receive_webhook(
        gateway_name="sandbox", incoming=notification(payment, PaymentStatus.SUCCEEDED, amount="1.00")
    )
    assert (result.outcome, result.reason) == (Outcome.REJECTED, "amount_mismatch")
    payment.refresh_from_db()
    assert payment.credited_at is None


def test_an_unknown_payment_is_logged_and_acknowledged(payment: Payment) -> None:
    Payment.objects.filter(pk=payment.pk).update(gateway_payment_id="sbx_other")
    payment.gateway_payment_id = "sbx_unknown"
    payment.public_id = "00000000-0000-0000-0000-000000000000"  # type: ignore[assignment]
    result = receive_webhook(gateway_name="sandbox", incoming=notification(payment, PaymentStatus.SUCCEEDED))
    assert (result.outcome, result.accepted) == (Outcome.UNKNOWN_PAYMENT, True)


def test_a_saved_card_is_kept_for_the_payer(payment: Payment, customer) -> None:  # type: ignore[no-untyped-def]
    card = {"token": "sbx_card_1", "title": "Visa •••• 1111"}
    deliver(notification(payment, PaymentStatus.SUCCEEDED, card=card))
    saved = SavedCard.objects.get()
    assert (saved.user, saved.method_id, saved.title, saved.saved_from) == (
        customer,
        "sbx_card_1",
        "Visa •••• 1111",
        payment,
    )


def test_the_http_endpoint_answers_200_or_400(client, payment: Payment) -> None:  # type: ignore[no-untyped-def]
    good = notification(payment, PaymentStatus.SUCCEEDED)
    url = "/api/v1/payments/webhooks/sandbox"
    response = client.post(url, data=good.body, content_type="application/json", headers=dict(good.headers))
    assert response.status_code == 200
    assert response.json() == {"outcome": "applied", "reason": ""}
    forged = notification(payment, PaymentStatus.SUCCEEDED, secret="nope")
    response = client.post(
        url, data=forged.body, content_type="application/json", headers=dict(forged.headers)
    )
    assert response.status_code == 400
    assert response.json()["reason"] == "signature_invalid"
    assert (
        client.post(
            "/api/v1/payments/webhooks/nonesuch", data=b"{}", content_type="application/json"
        ).status_code
        == 400
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_credit_once(account, customer, debt) -> None:  # type: ignore[no-untyped-def]
    """Eight workers apply the same and different "succeeded" notices at once: one credit."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    payment = start_payment(
        lines=[LineRequest(account=account, amount=Decimal("1500.00"))],
        origin=Payment.Origin.CABINET,
        return_url="http://testserver/x/",
        created_by=customer,
    ).payment
    same = notification(payment, PaymentStatus.SUCCEEDED, event_id="evt_same")
    storm = [same] * 4 + [notification(payment, PaymentStatus.SUCCEEDED) for _ in range(4)]

    def worker(incoming):  # type: ignore[no-untyped-def]
        try:
            return deliver(incoming)
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(worker, storm))

    assert outcomes.count(Outcome.DUPLICATE) == 3
    assert len(credited_entries(payment)) == 1
    assert balance(account=account) == Decimal("0.00")


def test_a_delivery_that_loses_the_race_for_the_claim_rolls_back_and_counts_as_duplicate(
    payment: Payment, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Two deliveries of one event both miss the first-delivery read: the second's claim undoes its work."""
    from abonent.payments.services import webhooks

    waiting = notification(payment, PaymentStatus.WAITING_3DS, event_id="evt_race")
    assert deliver(waiting) == Outcome.APPLIED
    # As if the loser read the payment before the winner moved it: its own move would succeed.
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.PENDING)
    real_read = webhooks._first_delivery_hash
    reads = iter([None])
    monkeypatch.setattr(webhooks, "_first_delivery_hash", lambda key: next(reads, real_read(key)))

    assert deliver(waiting) == Outcome.DUPLICATE

    payment.refresh_from_db()  # the loser's move was rolled back with its failed claim
    assert payment.status == PaymentStatus.PENDING
    log = list(
        WebhookEvent.objects.order_by("id").values_list("outcome", "is_duplicate", "first_delivery_of")
    )
    assert log == [(Outcome.APPLIED, False, "sandbox:evt_race"), (Outcome.DUPLICATE, True, None)]
    assert deliver(notification(payment, PaymentStatus.SUCCEEDED)) == Outcome.APPLIED
    assert len(credited_entries(payment)) == 1


def test_a_duplicate_costs_one_read_and_one_insert(payment: Payment, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    succeeded = notification(payment, PaymentStatus.SUCCEEDED)
    deliver(succeeded)
    with django_assert_num_queries(2):
        assert deliver(succeeded) == Outcome.DUPLICATE


def test_a_first_delivery_is_applied_and_logged_in_one_transaction(
    payment: Payment, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    """3-D Secure: read the log, lock the payment, move it, insert the log row (plus the savepoint pair)."""
    with django_assert_max_num_queries(6):
        assert deliver(notification(payment, PaymentStatus.WAITING_3DS)) == Outcome.APPLIED
    # "succeeded" adds the credit: the lines, billing's posting (lock, check, ageing, insert), the receipt.
    with django_assert_max_num_queries(16):
        assert deliver(notification(payment, PaymentStatus.SUCCEEDED)) == Outcome.APPLIED
