"""System checks of payments' configuration (`manage.py check`, `check --deploy`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@register("payments")
def check_site_url(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Require an absolute http(s) PAYMENTS_SITE_URL: links and callbacks made off-request start with it."""
    parts = urlsplit(settings.PAYMENTS_SITE_URL)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return [
            Error(
                f"PAYMENTS_SITE_URL is not an absolute http(s) URL: {settings.PAYMENTS_SITE_URL!r}.",
                hint="Set the PAYMENTS_SITE_URL environment variable to the site's public origin.",
                id="payments.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_site_url_is_public(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Warn when a deployment still sends pay links and gateway callbacks to this machine's loopback."""
    if urlsplit(settings.PAYMENTS_SITE_URL).hostname in LOOPBACK_HOSTS:
        return [
            CheckWarning(
                "PAYMENTS_SITE_URL points at this machine: pay links in SMS and e-mail and the gateway's"
                " callbacks of autopay charges would not reach the site.",
                hint="Set the PAYMENTS_SITE_URL environment variable, e.g. https://lk.example.ru.",
                id="payments.W001",
            )
        ]
    return []
