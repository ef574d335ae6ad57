"""Billing admin: every page opens; tariff prices are checked against the kind; the ledger is read-only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.contrib import admin as django_admin
from django.db import models
from django.test import Client
from django.urls import reverse

from abonent.billing.models import LedgerEntry, Tariff
from abonent.billing.services.ledger import post_entry
from abonent.billing.services.penalties import record_bill_delivery
from abonent.billing.services.reference import load_reference_data
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Service
from abonent.identity.models import User
from tests.billing.factories import ConsumptionNormFactory, TariffFactory, TariffRateFactory

REGISTERED = sorted(
    (model for model in django_admin.site._registry if model._meta.app_label == "billing"),
    key=lambda model: model._meta.label,
)


@pytest.fixture
def world(account: Account, electricity: Service) -> None:
    """Create at least one row of every billing model the admin shows."""
    load_reference_data()
    TariffRateFactory(tariff=TariffFactory(service=electricity))
    ConsumptionNormFactory(service=electricity)
    record_bill_delivery(account=account, period=BillingPeriod(2026, 3), delivered_on=date(2026, 4, 2))
    post_entry(
        account=account,
        service=electricity,
        period=BillingPeriod(2026, 3),
        kind=LedgerEntry.Kind.CHARGE,
        amount="100.00",
        occurred_on=date(2026, 3, 31),
        source="test",
        idempotency_key="c1",
    )


@pytest.fixture
def admin_client(client_for: Callable[[User], Client], admin: User) -> Client:
    return client_for(admin)


def _url(model: type[models.Model], view: str, *args: object) -> str:
    return reverse(f"admin:billing_{model._meta.model_name}_{view}", args=args)


def test_every_billing_model_is_registered() -> None:
    labels = {model._meta.object_name for model in REGISTERED}
    assert labels == {
        "Tariff",
        "ConsumptionNorm",
        "KeyRate",
        "PenaltyRateCap",
        "PenaltyMoratorium",
        "PenaltyScale",
        "PaymentDueRule",
        "BillDelivery",
        "LedgerEntry",
    }  # tariff prices are edited inline on the tariff


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_add_and_change_pages_open(
    world: None, admin_client: Client, model: type[models.Model]
) -> None:
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None
    assert admin_client.get(_url(model, "changelist")).status_code == 200
    assert admin_client.get(_url(model, "changelist"), {"q": "6600"}).status_code == 200
    assert admin_client.get(_url(model, "add")).status_code == (403 if model is LedgerEntry else 200)
    assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200


def test_the_ledger_cannot_be_added_changed_or_deleted_in_the_admin(
    world: None, admin_client: Client
) -> None:
    entry = LedgerEntry.objects.get()
    page = admin_client.get(_url(LedgerEntry, "change", entry.pk))
    assert b'name="_save"' not in page.content
    assert admin_client.post(_url(LedgerEntry, "change", entry.pk), {"reason": "x"}).status_code == 403
    assert admin_client.post(_url(LedgerEntry, "delete", entry.pk), {"post": "yes"}).status_code == 403
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def _tariff_form(electricity: Service, kind: str, rates: list[tuple[str, str, str]]) -> dict[str, str]:
    data = {
        "service": str(electricity.pk),
        "region_code": "66",
        "category": "household",
        "kind": kind,
        "block_basis": "account",
        "meter_zones": "0",
        "valid_from": "2027-01-01",
        "rates-TOTAL_FORMS": str(len(rates)),
        "rates-INITIAL_FORMS": "0",
    }
    for index, (zone, block_up_to, price) in enumerate(rates):
        data |= {f"rates-{index}-zone": zone, f"rates-{index}-block_up_to": block_up_to}
        data[f"rates-{index}-price"] = price
    return data


def test_a_zoned_tariff_with_one_price_is_refused(admin_client: Client, electricity: Service) -> None:
    response = admin_client.post(
        _url(Tariff, "add"), _tariff_form(electricity, "zoned", [("T1", "", "6.21")])
    )
    assert response.status_code == 200
    assert "T1, T2, T3" in str(response.context["inline_admin_formsets"][0].formset.non_form_errors())
    assert not Tariff.objects.exists()


def test_a_block_tariff_is_added_with_its_blocks(admin_client: Client, electricity: Service) -> None:
    form = _tariff_form(electricity, "block", [("T", "", "10.20"), ("T", "3900", "5.47")])
    response = admin_client.post(_url(Tariff, "add"), form)
    assert response.status_code == 302
    tariff = Tariff.objects.get()
    assert [(r.block_up_to, str(r.price)) for r in tariff.rates.all()] == [
        (3900, "5.4700"),
        (None, "10.2000"),
    ]
