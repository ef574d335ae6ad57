"""Serve a customer's heaviest pages from the cache until something they show changes.

The dashboard gathers balances, readings windows, hints and messages for every account of the login;
people open it again and again while nothing changed. Django's per-view cache cannot be used: its key
is the URL, while this page is personal, carries a CSRF token and changes with the data behind it. The
key here is the session, the CSRF secret (the token in the page's forms must match the cookie), the
language, the day (hints count days), the URL, the chosen account and `core.freshness.stamp` of the
customers shown — so a payment, a reading, a message or an access change shows at once, and a page
never reaches another session.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from abonent.core.freshness import stamp


def cached_page(
    request: HttpRequest,
    *,
    customer_ids: Iterable[int],
    extra: str = "",
    render: Callable[[], HttpResponse],
) -> HttpResponse:
    """Return the page from the cache, or render it and cache it when it may be reused."""
    key = _page_key(request, customer_ids=customer_ids, extra=extra)
    if key is None:
        return render()
    cached = cache.get(key)
    if cached is not None:
        content, content_type = cached
        return HttpResponse(content, content_type=content_type)
    response = render()
    if response.status_code == 200 and not response.streaming:
        lifetime = settings.PORTAL_PAGE_CACHE_SECONDS
        cache.set(key, (response.content, response["Content-Type"]), timeout=lifetime)
    return response


def _page_key(request: HttpRequest, *, customer_ids: Iterable[int], extra: str) -> str | None:
    if settings.PORTAL_PAGE_CACHE_SECONDS <= 0 or request.method != "GET":
        return None
    session_key = request.session.session_key
    csrf_secret = request.META.get("CSRF_COOKIE")
    if not session_key or not csrf_secret:  # a first visit gets its CSRF cookie from a real render
        return None
    if len(messages.get_messages(request)):  # a one-time notice must be shown, and only once
        return None
    parts = [
        session_key,
        csrf_secret,
        getattr(request, "LANGUAGE_CODE", ""),
        timezone.localdate().isoformat(),
        request.get_full_path(),
        extra,
        stamp(customer_ids=customer_ids, user_ids=[request.user.pk]),
    ]
    return "page:" + hashlib.sha256("|".join(parts).encode()).hexdigest()
