"""The public home page: what the cabinet offers, and a way in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("console:home" if request.user.is_staff else "portal:dashboard")
    return render(request, "portal/home.html")
