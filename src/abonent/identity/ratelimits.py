"""Rate limits of the sign-in and code endpoints, per IP and per login, account number or phone.

Counting is django-ratelimit's (a fixed window in the default cache: process-local LocMem in the
embedded setup, Redis when REDIS_URL is set, so every worker shares the counts). The rates are
settings.IDENTITY_RATE_LIMITS.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from abonent.identity.errors import RateLimited
from abonent.identity.shortcodes import keyed_hash


def enforce_rate_limit(request: HttpRequest, *, scope: str, key: str | None = None) -> None:
    """Count one attempt in `scope` by the client's IP (or by `key`); raise RateLimited past the rate."""
    rate = settings.IDENTITY_RATE_LIMITS[scope]
    ratelimit_key = "ip" if key is None else _fixed(keyed_hash("rate-limit", key))
    usage = get_usage(request, group=f"identity:{scope}", key=ratelimit_key, rate=rate, increment=True)
    if usage is not None and usage["should_limit"]:
        raise RateLimited(retry_after=max(1, int(usage["time_left"])))


def _fixed(value: str) -> Callable[[str, HttpRequest], str]:
    # Phones and account numbers enter the cache keys hashed, never in clear.
    return lambda group, request: value
