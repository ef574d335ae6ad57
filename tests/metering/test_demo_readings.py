"""The demo: every meter has 14 months of plausible readings; some meters send hourly telemetry."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from abonent.demo.readings import DEMO_IVR_PIN, HOUSEHOLD_ACCOUNTS
from abonent.metering.models import Meter, Reading, TelemetrySample
from abonent.metering.rules import is_rollover
from abonent.metering.services import authenticate_ivr_caller

pytestmark = pytest.mark.django_db


def test_the_demo_gives_every_meter_a_plausible_history() -> None:
    if connection.vendor == "postgresql":
        # The demo rebuilds indexes, which PostgreSQL refuses while deferred foreign-key checks of
        # the same transaction (the test's) are pending; checking them at once leaves none pending.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("demo", accounts=300, verbosity=0)
    assert_fourteen_periods_each()
    assert_never_backwards_except_by_rollover()
    assert_zones_and_telemetry_fit_the_meters()
    household = authenticate_ivr_caller(account_number=HOUSEHOLD_ACCOUNTS[0], pin=DEMO_IVR_PIN)
    assert household.number == HOUSEHOLD_ACCOUNTS[0]


def assert_fourteen_periods_each() -> None:
    counts = dict(Reading.objects.values_list("meter").annotate(n=Count("id")).values_list("meter", "n"))
    assert set(Meter.objects.values_list("id", flat=True)) == set(counts)
    assert set(counts.values()) == {14}
    assert Reading.objects.filter(review=Reading.Review.PENDING).count() < Meter.objects.count() / 50


def assert_never_backwards_except_by_rollover() -> None:
    last: dict[tuple[int, str], Decimal] = {}
    readings = Reading.objects.select_related("meter").order_by("meter", "period")
    for reading in readings:
        digits = reading.meter.digits
        for zone, value in reading.values.items():
            before = last.get((reading.meter_id, zone))
            assert value < Decimal(10) ** digits
            if before is not None and value < before:
                assert is_rollover(before, value, digits=digits, max_share=Decimal("0.1")), (reading, before)
            last[(reading.meter_id, zone)] = value


def assert_zones_and_telemetry_fit_the_meters() -> None:
    zones = defaultdict(set)
    for reading in Reading.objects.select_related("meter"):
        zones[reading.meter.zones].add(tuple(sorted(reading.values)))
    assert zones[1] == {("T1",)}
    assert zones[2] == {("T1", "T2")}
    electricity = set(Meter.objects.filter(resource="electricity").values_list("id", flat=True))
    sampled = set(TelemetrySample.objects.values_list("meter_id", flat=True))
    assert sampled and sampled <= electricity
    households = Meter.objects.filter(account__number=HOUSEHOLD_ACCOUNTS[0], resource="electricity")
    assert households.filter(id__in=sampled).exists()
