"""The worked example of the charge-run tests: one household account in region 66 for October 2026.

- electricity, single-rate meter, 5.47 ₽/kWh: readings 1000 (September) → 1150 (October) = 150 kWh,
  150 × 5.47 = 820.50 ₽;
- cold water, meter without an October reading: readings 100 (June) → 109 (September), 3 months,
  so the average is 3 m³/month, billed 3 × 50.00 = 150.00 ₽ (one period without readings);
- heating, no meter: norm 0.0200 Gcal per m² × 50 m² = 1.000 Gcal × 2500.00 = 2500.00 ₽,
  and a 50 % benefit on it: −1250.00 ₽.
Charged 3470.50 ₽, benefits 1250.00 ₽, due 2220.50 ₽.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from abonent.billing.models import Benefit, ConsumptionNorm, Tariff
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Resource, Service
from abonent.metering.models import Channel, Meter, Reading
from tests.billing.factories import ConsumptionNormFactory, TariffFactory, TariffRateFactory
from tests.factories import AccountServiceFactory, MeterFactory, ServiceFactory

OCTOBER = BillingPeriod(2026, 10)


@dataclass
class Example:
    account: Account
    electricity: Service
    water: Service
    heating: Service
    power_meter: Meter
    water_meter: Meter


def add_reading(
    meter: Meter, period: BillingPeriod, t1: str, t2: str | None = None, t3: str | None = None
) -> Reading:
    return Reading.objects.create(
        meter=meter,
        period=period.start,
        t1=Decimal(t1),
        t2=Decimal(t2) if t2 else None,
        t3=Decimal(t3) if t3 else None,
        submitted_at=timezone.make_aware(datetime.datetime.combine(period.day(24), datetime.time(10))),
        channel=Channel.CABINET,
    )


def single_tariff(service: Service, price: str, **extra) -> Tariff:
    tariff = TariffFactory(service=service, valid_from=datetime.date(2025, 1, 1), **extra)
    TariffRateFactory(tariff=tariff, zone="T", price=Decimal(price))
    return tariff


def build_example(account: Account) -> Example:
    premises = account.premises
    premises.area_m2 = Decimal("50.00")
    premises.save(update_fields=["area_m2"])
    electricity = ServiceFactory(code="electricity", name="Электроснабжение")
    water = ServiceFactory(code="cold-water", name="Холодная вода", resource=Resource.COLD_WATER, unit="m3")
    heating = ServiceFactory(
        code="heating", name="Отопление", resource=Resource.HEAT, unit="Gcal", metered=False
    )
    for service in (electricity, water, heating):
        AccountServiceFactory(account=account, service=service, started_on=account.opened_on)
    single_tariff(electricity, "5.47")
    single_tariff(water, "50.00")
    single_tariff(heating, "2500.00")
    for service, basis, value in (
        (electricity, ConsumptionNorm.Basis.RESIDENT, "95"),
        (water, ConsumptionNorm.Basis.RESIDENT, "4.5"),
        (heating, ConsumptionNorm.Basis.AREA, "0.0200"),
    ):
        ConsumptionNormFactory(
            service=service, basis=basis, value=Decimal(value), valid_from=datetime.date(2025, 1, 1)
        )
    power = MeterFactory(account=account, resource=Resource.ELECTRICITY, zones=1, digits=6)
    add_reading(power, OCTOBER.previous(), "1000")
    add_reading(power, OCTOBER, "1150")
    water_meter = MeterFactory(account=account, resource=Resource.COLD_WATER, zones=1, digits=5)
    add_reading(water_meter, OCTOBER.shift(-4), "100")
    add_reading(water_meter, OCTOBER.shift(-1), "109")
    Benefit.objects.create(
        account=account,
        service=heating,
        name="Ветеран труда, 50 %",
        kind=Benefit.Kind.PERCENT,
        value=Decimal("50"),
        valid_from=datetime.date(2025, 1, 1),
    )
    return Example(account, electricity, water, heating, power, water_meter)
