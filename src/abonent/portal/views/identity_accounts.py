"""A company's many accounts: filter by branch, address and status, search, page through."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from abonent.customers.models import Account
from abonent.identity.selectors import branch_choices, filter_accounts
from abonent.portal.views.identity_forms import AccountFilterForm

PAGE_SIZE = 20


@login_required
def accounts(request: HttpRequest) -> HttpResponse:
    branches = branch_choices(user=request.user)  # type: ignore[arg-type]  # login_required: a User
    form = AccountFilterForm(request.GET or None, branches=branches, statuses=Account.Status.choices)
    filters = form.cleaned_data if form.is_valid() else {}
    found = filter_accounts(
        user=request.user,  # type: ignore[arg-type]  # login_required: a User
        query=filters.get("q") or "",
        branch_id=filters.get("branch"),
        status=filters.get("status") or "",
        address=filters.get("address") or "",
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "show_branch": len(branches) > 1}
    template = "portal/identity/_accounts_table.html" if request.htmx else "portal/identity/accounts.html"
    return render(request, template, context)
