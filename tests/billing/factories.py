"""factory_boy factories for billing configuration."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from abonent.billing.models import ConsumptionNorm, CustomerCategory, Tariff, TariffRate
from tests.factories import ServiceFactory


class TariffFactory(DjangoModelFactory):
    """A single-rate household tariff for region 66 from 2026; add prices with TariffRateFactory."""

    class Meta:
        model = Tariff

    service = factory.SubFactory(ServiceFactory)
    region_code = "66"
    category = CustomerCategory.HOUSEHOLD
    kind = Tariff.Kind.SINGLE
    valid_from = datetime.date(2026, 1, 1)


class TariffRateFactory(DjangoModelFactory):
    class Meta:
        model = TariffRate

    tariff = factory.SubFactory(TariffFactory)
    zone = "T"
    price = Decimal("5.4700")


class ConsumptionNormFactory(DjangoModelFactory):
    class Meta:
        model = ConsumptionNorm

    service = factory.SubFactory(ServiceFactory)
    region_code = "66"
    category = CustomerCategory.HOUSEHOLD
    basis = ConsumptionNorm.Basis.RESIDENT
    value = Decimal("95")
    valid_from = datetime.date(2026, 1, 1)
