"""The old address of the accounts list: the dashboard's combined view is the one list of many accounts.

Two lists with their own filters drifted apart (one had the attention flags, the other live search), so
the list lives in one place (`portal.views.dashboard`) and this address keeps bookmarks and links working.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# The old list's parameter names → the combined view's.
RENAMED = {"q": "number"}
KEPT = ("number", "address", "branch", "status", "attention", "page")


@login_required
def accounts(request: HttpRequest) -> HttpResponse:
    query = {RENAMED.get(name, name): value for name, value in request.GET.items()}
    query = {name: value for name, value in query.items() if name in KEPT and value}
    target = reverse("portal:dashboard")
    return redirect(f"{target}?{urlencode(query)}" if query else target)
