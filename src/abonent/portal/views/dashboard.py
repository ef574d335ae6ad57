"""The cabinet's first screen: the customer's accounts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from abonent.customers.selectors import account_cards
from abonent.identity.selectors import accounts_for_user


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    accounts = account_cards(accounts=accounts_for_user(user=request.user))
    return render(request, "portal/dashboard.html", {"accounts": accounts})
