"""The console's payments pages: the daily reconciliation reports, and one payment with its gateway log.

Staff see payments on their branch's accounts only (payments.selectors.payment_for_user); opening a
payment shows account numbers, so it writes an audit event. Refunds need payments.change_payment.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from abonent.core.audit import record_audit_event
from abonent.core.errors import DomainError
from abonent.core.models import AuditEvent
from abonent.metering.forms import domain_errors_as_http
from abonent.payments.models import ReconciliationReport
from abonent.payments.selectors import payment_for_user, reconciliation_reports, visible_lines, webhook_log
from abonent.payments.services.payments import refund_payment
from abonent.payments.services.reconciliation import reconcile_day

staff_only = staff_member_required(login_url="login")


class ReconcileForm(forms.Form):
    gateway = forms.ChoiceField(label=_("Gateway"))
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["gateway"].choices = [(name, name) for name in settings.PAYMENT_GATEWAYS]  # type: ignore[attr-defined]

    def clean_day(self):  # type: ignore[no-untyped-def]
        day = self.cleaned_data["day"]
        if day > timezone.localdate():
            raise forms.ValidationError(gettext("A day in the future has no payments to reconcile."))
        return day


@staff_only
def reconciliation(request: HttpRequest) -> HttpResponse:
    # The reports hold the company's daily totals: the list is as closed as each report and the check.
    if not request.user.has_perm("payments.view_reconciliationreport"):
        raise Http404
    initial = {"day": timezone.localdate() - timedelta(days=1), "gateway": settings.PAYMENT_GATEWAY}
    form = ReconcileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            report = reconcile_day(gateway_name=form.cleaned_data["gateway"], day=form.cleaned_data["day"])
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("console_payments:report", report_id=report.pk)
    reports = reconciliation_reports()[:60]
    return render(request, "console/payments/reconciliation.html", {"reports": reports, "form": form})


@staff_only
def report(request: HttpRequest, report_id: int) -> HttpResponse:
    found = ReconciliationReport.objects.filter(pk=report_id).first()
    if found is None or not request.user.has_perm("payments.view_reconciliationreport"):
        raise Http404
    items = found.items.select_related("payment")
    return render(request, "console/payments/report.html", {"report": found, "items": items})


@staff_only
def payment(request: HttpRequest, payment_ref: uuid.UUID) -> HttpResponse:
    with domain_errors_as_http():
        found = payment_for_user(user=request.user, payment_ref=payment_ref)  # type: ignore[arg-type]
    record_audit_event(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        target=found,
        personal_data=True,
        request=request,
        reason="console payments: payment",
    )
    context = {
        "payment": found,
        "lines": visible_lines(user=request.user, payment=found),  # type: ignore[arg-type]
        "events": webhook_log(payment=found),
        "may_refund": request.user.has_perm("payments.change_payment") and found.status == "succeeded",
    }
    return render(request, "console/payments/payment.html", context)


@staff_only
@require_POST
def refund(request: HttpRequest, payment_ref: uuid.UUID) -> HttpResponse:
    with domain_errors_as_http():
        found = payment_for_user(user=request.user, payment_ref=payment_ref)  # type: ignore[arg-type]
    if not request.user.has_perm("payments.change_payment"):
        raise Http404
    try:
        refund_payment(payment=found, refunded_by=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        record_audit_event(
            actor=request.user,
            action=AuditEvent.Action.UPDATE,
            target=found,
            request=request,
            reason="refund",
        )
        messages.success(request, gettext("The payment was refunded and its credit reversed."))
    return redirect("console_payments:payment", payment_ref=found.public_id)
