"""'Why is my bill different?': reasons with amounts against the previous month and a year earlier."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from abonent.billing.explanation import BASIS, LAST_YEAR, RECALCULATION, TARIFF, VOLUME, explain_bill
from abonent.billing.models import Bill, TariffRate
from abonent.billing.services.charge_run import run_pending_chunks, start_charge_run
from tests.billing.charge_setup import OCTOBER, add_reading, build_example
from tests.billing.factories import TariffFactory, TariffRateFactory

pytestmark = pytest.mark.django_db
NOVEMBER = OCTOBER.next()


def _bill(account, period) -> Bill:
    run_pending_chunks(run=start_charge_run(branch=account.branch, period=period, enqueue=False))
    return Bill.objects.get(account=account, period=period.start)


def test_volume_tariff_basis_and_recalculation_are_explained(account):
    """October: 150 kWh × 5.47 = 820.50; November: 200 kWh at a new price 6.00 = 1200.00.

    Volume: +50 kWh at October's 5.47 = +273.50; tariff: the rest, 1200.00 − 820.50 − 273.50 = +106.00.
    Water: average (3 m³) in October, readings in November (117 after 109 two months before: 4 m³) —
    basis changed, +1 m³ × 50.00 = +50.00 by volume, and +50.00 recalculated for October.
    """
    example = build_example(account)
    _bill(account, OCTOBER)
    old = example.electricity.tariffs.get()
    old.valid_until = datetime.date(2026, 10, 31)
    old.save()
    new = TariffFactory(service=example.electricity, valid_from=datetime.date(2026, 11, 1))
    TariffRateFactory(tariff=new, zone="T", price=Decimal("6.00"))
    add_reading(example.power_meter, NOVEMBER, "1350")
    add_reading(example.water_meter, NOVEMBER, "117")
    explanation = explain_bill(bill=_bill(account, NOVEMBER))

    found = {(r.code, r.service): r.amount for r in explanation.reasons}
    assert found[(VOLUME, "Электроснабжение")] == Decimal("273.50")
    assert found[(TARIFF, "Электроснабжение")] == Decimal("106.00")
    assert found[(VOLUME, "Холодная вода")] == Decimal("50.00")
    assert (BASIS, "Холодная вода") in found
    assert found[(RECALCULATION, "")] == Decimal("50.00")
    assert explanation.change == Decimal("429.50")  # 3900.00 − 3470.50
    with translation.override("en"):
        texts = [r.text for r in explanation.reasons]
    assert "Электроснабжение: you used 150 → 200 kWh, ₽273.50 more." in texts
    assert "Холодная вода: billed by the meter readings; last month by the average." in texts
    with translation.override("ru"):
        assert any("больше" in r.text for r in explanation.reasons)


def test_same_month_a_year_ago_is_compared(account):
    example = build_example(account)
    add_reading(example.power_meter, OCTOBER.shift(-13), "10")
    add_reading(example.power_meter, OCTOBER.shift(-12), "110")
    add_reading(example.water_meter, OCTOBER.shift(-13), "50")
    add_reading(example.water_meter, OCTOBER.shift(-12), "53")
    year_ago = _bill(account, OCTOBER.shift(-12))
    explanation = explain_bill(bill=_bill(account, OCTOBER))
    assert explanation.previous is None and explanation.last_year == year_ago
    reason = next(r for r in explanation.reasons if r.code == LAST_YEAR)
    assert reason.amount == Decimal("3470.50") - year_ago.charged


def test_first_bill_has_nothing_to_compare(account):
    build_example(account)
    explanation = explain_bill(bill=_bill(account, OCTOBER))
    assert explanation.reasons == [] and explanation.change == 0
    assert TariffRate.objects.exists()
