"""The staff console: account search and the account card (every card view is audited)."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from abonent.core.audit import record_audit_event
from abonent.core.models import AuditEvent
from abonent.customers.selectors import account_cards, account_detail, search_accounts
from abonent.identity.selectors import AccountNotFound, account_for_user, accounts_for_user

SEARCH_LIMIT = 50


@staff_member_required(login_url="login")
def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    scope = accounts_for_user(user=request.user)
    results = account_cards(accounts=search_accounts(accounts=scope, query=query))[:SEARCH_LIMIT]
    template = "console/_results.html" if request.htmx else "console/home.html"
    return render(request, template, {"query": query, "results": results})


@staff_member_required(login_url="login")
def account_card(request: HttpRequest, account_id: int) -> HttpResponse:
    try:
        account = account_for_user(user=request.user, account_id=account_id)
    except AccountNotFound as exc:
        raise Http404(exc.message) from exc
    record_audit_event(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        target=account,
        personal_data=True,
        request=request,
        reason="console account card",
    )
    account = account_detail(account_id=account.pk)
    return render(request, "console/account.html", {"account": account})
