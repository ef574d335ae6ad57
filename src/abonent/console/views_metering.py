"""The console's metering pages: readings taken by phone, a meter's full history, the review queue.

Every page fetches through the permission-checking selectors (staff see their branch's accounts)
and every view of a customer's account writes an audit event.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from abonent.core.audit import record_audit_event
from abonent.core.models import AuditEvent, Branch
from abonent.identity.selectors import AccountAction, account_for_action
from abonent.metering.consumption import SCALES, consumption_view
from abonent.metering.errors import ReviewNotPending
from abonent.metering.forms import (
    ReadingsForm,
    announce_readings,
    domain_errors_as_http,
    form_entries,
    submit_readings_form,
)
from abonent.metering.models import Channel
from abonent.metering.selectors import meter_cards, meter_for_user, reading_history, review_queue, window_for
from abonent.metering.services import issue_ivr_pin, review_reading

staff_only = staff_member_required(login_url="login")


class PhoneEntryForm(forms.Form):
    taken_on = forms.DateField(
        label=_("The customer read the meters on"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_(
            "Today unless the customer read them earlier. "
            "Readings after the window count for the next period."
        ),
    )


@staff_only
def account(request: HttpRequest, account_id: int) -> HttpResponse:
    action = AccountAction.SUBMIT_READINGS if request.method == "POST" else AccountAction.VIEW
    with domain_errors_as_http():
        found = account_for_action(user=request.user, account_id=account_id, action=action)
    _audit_view(request, found, "console metering: account")
    window = window_for(account=found)
    cards = meter_cards(account=found, window=window)
    posted = request.POST if request.method == "POST" else None
    form = ReadingsForm(posted, cards=cards)
    entry = PhoneEntryForm(posted, initial={"taken_on": window.today})
    if posted is not None and entry.is_valid():
        taken_at = _moment(entry.cleaned_data["taken_on"], found.branch)
        readings = submit_readings_form(
            form, channel=Channel.STAFF_PHONE, user=request.user, submitted_at=taken_at
        )
        if readings is not None:
            announce_readings(request, readings, cards)
            return redirect("console_metering:account", account_id=found.pk)
    context = {
        "account": found,
        "window": window,
        "form": form,
        "entry": entry,
        "entries": form_entries(form),
        "may_submit": True,
        "has_errors": bool(form.errors or form.meter_errors or entry.errors),
    }
    return render(request, "console/metering/account.html", context)


def _moment(day: date, branch: Branch) -> datetime:
    """Return now for today, else noon of the day in the branch's time zone."""
    now = timezone.now()
    if day == timezone.localtime(now, branch.zone).date():
        return now
    return datetime.combine(day, time(12), tzinfo=branch.zone)


@staff_only
@require_POST
def issue_pin(request: HttpRequest, account_id: int) -> HttpResponse:
    with domain_errors_as_http():
        found = account_for_action(
            user=request.user, account_id=account_id, action=AccountAction.EDIT_CONTACTS
        )
    pin = issue_ivr_pin(account=found, issued_by=request.user)
    messages.success(
        request,
        gettext("New PIN for the voice robot: %(pin)s. Tell it to the customer now; it is not shown again.")
        % {"pin": pin},
    )
    return redirect("console_metering:account", account_id=found.pk)


@staff_only
def meter(request: HttpRequest, meter_id: int) -> HttpResponse:
    with domain_errors_as_http():
        found = meter_for_user(user=request.user, meter_id=meter_id)
    _audit_view(request, found.account, "console metering: meter")
    context = {
        "meter": found,
        "account": found.account,
        "view": consumption_view(meter=found, params=request.GET),
        "scales": SCALES,
        "history": reading_history(meter=found, include_superseded=True, limit=60),
    }
    return render(request, "console/metering/meter.html", context)


@staff_only
@require_POST
def review(request: HttpRequest, meter_id: int) -> HttpResponse:
    with domain_errors_as_http():
        found = meter_for_user(user=request.user, meter_id=meter_id, action=AccountAction.SUBMIT_READINGS)
    accept = request.POST.get("decision") == "confirm"
    try:
        reading_id = int(request.POST.get("reading", ""))
        review_reading(meter=found, reading_id=reading_id, accept=accept, reviewed_by=request.user)
    except (ValueError, ReviewNotPending):
        messages.error(request, str(ReviewNotPending.default_message))
    else:
        done = (
            gettext("Reading confirmed.")
            if accept
            else gettext("Reading rejected; the period has no reading now.")
        )
        messages.success(request, done)
    if request.POST.get("back") == "meter":
        return redirect("console_metering:meter", meter_id=found.pk)
    return redirect("console_metering:review_queue")


@staff_only
def queue(request: HttpRequest) -> HttpResponse:
    readings = list(review_queue(user=request.user))
    return render(request, "console/metering/review.html", {"readings": readings})


def _audit_view(request: HttpRequest, target: object, reason: str) -> None:
    record_audit_event(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        target=target,  # type: ignore[arg-type]  # an Account
        personal_data=True,
        request=request,
        reason=reason,
    )
