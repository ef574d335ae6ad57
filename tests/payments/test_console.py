"""Console: reconciliation reports with their mismatches, one payment with its gateway log, refunds."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from abonent.billing.selectors import balance
from abonent.core.models import AuditEvent
from abonent.payments.models import Payment, PaymentStatus, ReconciliationItem, SandboxPayment
from abonent.payments.services.payments import LineRequest, start_payment
from abonent.payments.services.reconciliation import reconcile_day
from abonent.payments.services.webhooks import receive_webhook
from tests.payments.helpers import notification

pytestmark = pytest.mark.django_db
Kind = ReconciliationItem.Kind


def paid(account, amount: str, *, notify: bool = True) -> Payment:  # type: ignore[no-untyped-def]
    """Return a sandbox payment the payer completed; notified (credited) unless told otherwise."""
    payment = start_payment(
        lines=[LineRequest(account=account, amount=Decimal(amount))],
        origin=Payment.Origin.CABINET,
        return_url="http://testserver/x/",
    ).payment
    SandboxPayment.objects.filter(pk=payment.gateway_payment_id).update(
        status=PaymentStatus.SUCCEEDED, finished_at=timezone.now()
    )
    if notify:
        receive_webhook(gateway_name="sandbox", incoming=notification(payment, PaymentStatus.SUCCEEDED))
    payment.refresh_from_db()
    return payment


def test_reconciliation_lists_each_kind_of_mismatch(account, debt) -> None:  # type: ignore[no-untyped-def]
    matching = paid(account, "100.00")
    lost_notice = paid(account, "200.00", notify=False)
    unknown_there = paid(account, "300.00")
    SandboxPayment.objects.filter(pk=unknown_there.gateway_payment_id).delete()
    differs = paid(account, "400.00")
    SandboxPayment.objects.filter(pk=differs.gateway_payment_id).update(amount=Decimal("40.00"))

    report = reconcile_day(gateway_name="sandbox", day=timezone.localdate())

    assert (report.ours_count, report.theirs_count, report.mismatches) == (3, 3, 3)
    assert report.ours_total == Decimal("800.00") and report.theirs_total == Decimal("340.00")
    found = {(item.kind, item.payment_id) for item in report.items.all()}
    assert found == {
        (Kind.MISSING_HERE, lost_notice.pk),
        (Kind.MISSING_AT_GATEWAY, unknown_there.pk),
        (Kind.AMOUNT, differs.pk),
    }
    assert matching.pk not in {item.payment_id for item in report.items.all()}
    again = reconcile_day(gateway_name="sandbox", day=timezone.localdate())
    assert again.pk == report.pk and again.items.count() == 3


def test_a_clean_day(account, debt) -> None:  # type: ignore[no-untyped-def]
    paid(account, "100.00")
    yesterday = timezone.localdate() - timedelta(days=1)
    assert reconcile_day(gateway_name="sandbox", day=yesterday).mismatches == 0
    assert reconcile_day(gateway_name="sandbox", day=timezone.localdate()).mismatches == 0


def test_console_pages(client_for, admin, operator, account, debt) -> None:  # type: ignore[no-untyped-def]
    payment = paid(account, "100.00")
    client = client_for(admin)
    response = client.post(
        "/console/payments/reconciliation/", {"gateway": "sandbox", "day": timezone.localdate().isoformat()}
    )
    assert response.status_code == 302
    assert "Всё сходится" in client.get(response["Location"]).content.decode()
    assert client_for(operator).get(response["Location"]).status_code == 404  # no right to the reports
    page = client_for(operator).get(f"/console/payments/{payment.public_id}/").content.decode()
    assert account.number in page and "Применено" in page
    assert AuditEvent.objects.filter(
        actor=operator, action=AuditEvent.Action.VIEW, personal_data=True
    ).exists()
    assert "Вернуть на карту" not in page  # operators may not refund


def test_refund_from_the_console(client_for, admin, account, debt) -> None:  # type: ignore[no-untyped-def]
    payment = paid(account, "1500.00")
    assert balance(account=account) == Decimal("0.00")
    client_for(admin).post(f"/console/payments/{payment.public_id}/refund/")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert balance(account=account) == Decimal("1500.00")
    client_for(admin).post(f"/console/payments/{payment.public_id}/refund/")  # twice: nothing more
    assert balance(account=account) == Decimal("1500.00")


def test_staff_of_another_branch_see_nothing(client_for, account, other_account, debt) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import StaffUserFactory

    payment = paid(account, "100.00")
    outsider = StaffUserFactory(staff_role="operator", branch=other_account.branch)
    assert client_for(outsider).get(f"/console/payments/{payment.public_id}/").status_code == 404


def test_heads_are_given_the_reconciliation_reports(client_for, account, debt) -> None:  # type: ignore[no-untyped-def]
    """The head's role group carries payments.view_reconciliationreport; an operator's does not."""
    from abonent.identity.models import StaffRole
    from abonent.identity.services import create_staff_user

    head, operator = (
        create_staff_user(
            username=role.value,
            email=f"{role.value}@energosbyt.example",
            full_name=f"Сотрудник {role.label}",
            role=role,
            password="staff-password-2026",
        )
        for role in (StaffRole.HEAD, StaffRole.OPERATOR)
    )
    paid(account, "100.00")
    report = reconcile_day(gateway_name="sandbox", day=timezone.localdate())

    assert head.has_perm("payments.view_reconciliationreport")
    assert client_for(head).get(f"/console/payments/reconciliation/{report.pk}/").status_code == 200
    assert not operator.has_perm("payments.view_reconciliationreport")
    assert client_for(operator).get(f"/console/payments/reconciliation/{report.pk}/").status_code == 404
    # The list shows every report's totals: it is as closed as the reports themselves.
    assert client_for(head).get("/console/payments/reconciliation/").status_code == 200
    assert client_for(operator).get("/console/payments/reconciliation/").status_code == 404
