"""The cabinet's meter readings: one form for every meter and zone of an account, and each meter's
consumption as a chart with a table."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from abonent.customers.selectors import account_cards
from abonent.identity.selectors import AccountAction, account_for_action, accounts_for_user, allowed_actions
from abonent.metering.consumption import SCALES, consumption_view
from abonent.metering.forms import (
    ReadingsForm,
    announce_readings,
    domain_errors_as_http,
    form_entries,
    submit_readings_form,
)
from abonent.metering.models import Channel
from abonent.metering.selectors import meter_cards, meter_for_user, reading_history, window_for

ACCOUNTS_SHOWN = 50


@login_required
def index(request: HttpRequest) -> HttpResponse:
    accounts = list(account_cards(accounts=accounts_for_user(user=request.user))[:ACCOUNTS_SHOWN])
    if len(accounts) == 1:
        return redirect("readings:submit", account_id=accounts[0].pk)
    windows = {account.pk: window_for(account=account) for account in accounts}
    items = [(account, windows[account.pk]) for account in accounts]
    return render(request, "portal/readings/index.html", {"items": items})


@login_required
def submit(request: HttpRequest, account_id: int) -> HttpResponse:
    action = AccountAction.SUBMIT_READINGS if request.method == "POST" else AccountAction.VIEW
    with domain_errors_as_http():
        account = account_for_action(user=request.user, account_id=account_id, action=action)
    window = window_for(account=account)
    cards = meter_cards(account=account, window=window)
    form = ReadingsForm(request.POST if request.method == "POST" else None, cards=cards)
    if request.method == "POST":
        readings = submit_readings_form(form, channel=Channel.CABINET, user=request.user)
        if readings is not None:
            announce_readings(request, readings, cards)
            return redirect("readings:submit", account_id=account.pk)
    context = {
        "account": account,
        "window": window,
        "form": form,
        "entries": form_entries(form),
        "may_submit": AccountAction.SUBMIT_READINGS in allowed_actions(user=request.user, account=account),
        "has_errors": bool(form.errors or form.meter_errors),
    }
    return render(request, "portal/readings/submit.html", context)


@login_required
def meter(request: HttpRequest, meter_id: int) -> HttpResponse:
    with domain_errors_as_http():
        found = meter_for_user(user=request.user, meter_id=meter_id)
    context = {
        "meter": found,
        "account": found.account,
        "view": consumption_view(meter=found, params=request.GET),
        "scales": SCALES,
        "history": reading_history(meter=found, limit=13),
    }
    return render(request, "portal/readings/meter.html", context)
