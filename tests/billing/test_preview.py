"""The charge preview: per zone and in total, and equal to what the charge run then posts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from abonent.billing.models import LedgerEntry
from abonent.billing.services.charge_run import run_pending_chunks, start_charge_run
from abonent.billing.services.preview import preview_charges
from abonent.customers.models import Resource
from tests.billing.charge_setup import OCTOBER, add_reading, build_example
from tests.billing.factories import TariffFactory, TariffRateFactory
from tests.factories import MeterFactory

pytestmark = pytest.mark.django_db
IN_WINDOW = datetime.date(2026, 10, 20)  # the organisation's window: readings of the 20th count for October


def test_preview_of_a_single_rate_meter(account):
    """1000 (September) → typed 1150: 150 kWh × 5.47 = 820.50."""
    example = build_example(account)
    example.power_meter.readings.filter(period=OCTOBER.start).delete()
    preview = preview_charges(
        account=account, readings={example.power_meter.pk: {"T1": Decimal("1150")}}, on_date=IN_WINDOW
    )
    assert preview.period == OCTOBER
    assert [(line.service, line.zone, line.volume, line.amount) for line in preview.lines] == [
        ("Электроснабжение", "T", Decimal("150.000"), Decimal("820.50"))
    ]
    assert preview.total == Decimal("820.50")


def test_preview_by_zones(account):
    """A two-zone meter, option for two-zone meters: T1 100 × 6.29 = 629.00, T2 40 × 3.12 = 124.80."""
    example = build_example(account)
    example.power_meter.readings.all().delete()
    example.power_meter.delete()
    two = MeterFactory(account=account, resource=Resource.ELECTRICITY, zones=2, digits=6)
    add_reading(two, OCTOBER.previous(), "500", "200")
    tariff = TariffFactory(
        service=example.electricity, kind="zoned", meter_zones=2, valid_from=datetime.date(2025, 1, 1)
    )
    TariffRateFactory(tariff=tariff, zone="T1", price=Decimal("6.29"))
    TariffRateFactory(tariff=tariff, zone="T2", price=Decimal("3.12"))
    preview = preview_charges(
        account=account, readings={two.pk: {"T1": Decimal("600"), "T2": Decimal("240")}}, on_date=IN_WINDOW
    )
    assert [(line.zone, line.amount) for line in preview.lines] == [
        ("T1", Decimal("629.00")),
        ("T2", Decimal("124.80")),
    ]
    assert preview.total == Decimal("753.80")


def test_preview_equals_what_the_run_posts_for_the_same_readings(account):
    example = build_example(account)
    example.power_meter.readings.filter(period=OCTOBER.start).delete()
    typed = {example.power_meter.pk: {"T1": Decimal("1234.567")}}
    preview = preview_charges(account=account, readings=typed, on_date=IN_WINDOW)

    add_reading(example.power_meter, OCTOBER, "1234.567")
    run_pending_chunks(run=start_charge_run(branch=account.branch, period=OCTOBER, enqueue=False))
    posted = LedgerEntry.objects.get(account=account, service=example.electricity, kind="charge")
    assert preview.total == posted.amount == Decimal("1283.08")  # 234.567 × 5.47 = 1283.08149
