"""PAYMENTS_SITE_URL: read from the environment, the origin of what payments build off-request, checked."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from abonent.payments.checks import check_site_url, check_site_url_is_public
from abonent.payments.models import SandboxPayment
from abonent.payments.services.links import pay_link_for
from abonent.payments.services.payments import charge_saved_card

SITE = "https://lk.energosbyt.example"


def test_settings_read_it_from_the_environment() -> None:
    env = {**os.environ, "PAYMENTS_SITE_URL": SITE, "DJANGO_SETTINGS_MODULE": "abonent.config.settings"}
    code = "import abonent.config.settings as s; print(s.PAYMENTS_SITE_URL)"
    src = Path(__file__).resolve().parents[2] / "src"
    out = subprocess.run(  # noqa: S603 - this interpreter with a fixed script
        [sys.executable, "-c", code],
        env={**env, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == SITE


@pytest.mark.django_db
def test_a_pay_link_made_without_a_request_starts_with_it(account, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PAYMENTS_SITE_URL = SITE + "/"
    assert pay_link_for(account=account, amount=Decimal("10.00")).startswith(f"{SITE}/pay/")


@pytest.mark.django_db
def test_an_autopay_charge_gives_the_gateway_a_callback_on_it(account, card, debt, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PAYMENTS_SITE_URL = SITE
    payment = charge_saved_card(account=account, amount=Decimal("100.00"), card=card)
    registered = SandboxPayment.objects.get(pk=payment.gateway_payment_id)
    assert registered.webhook_url == f"{SITE}/api/v1/payments/webhooks/sandbox"


def test_the_checks(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PAYMENTS_SITE_URL = SITE
    assert check_site_url(None) == [] and check_site_url_is_public(None) == []
    settings.PAYMENTS_SITE_URL = "http://127.0.0.1:8000"
    assert [m.id for m in check_site_url_is_public(None)] == ["payments.W001"]
    settings.PAYMENTS_SITE_URL = "lk.energosbyt.example"
    assert [m.id for m in check_site_url(None)] == ["payments.E001"]
    with pytest.raises(SystemCheckError, match=r"payments\.E001"):
        call_command("check")
