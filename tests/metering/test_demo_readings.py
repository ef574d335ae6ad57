"""The demo: every meter has 14 months of plausible readings; some meters send hourly telemetry."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count

from abonent.demo.readings import HOUSEHOLD_ACCOUNTS
from abonent.metering.models import Meter, Reading, TelemetrySample
from abonent.metering.rules import is_rollover
from abonent.metering.services import authenticate_ivr_caller

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(clock) -> None:  # type: ignore[no-untyped-def]
    call_command("demo", accounts=300, verbosity=0)


def test_every_meter_has_fourteen_periods_of_history(demo) -> None:  # type: ignore[no-untyped-def]
    counts = dict(Reading.objects.values_list("meter").annotate(n=Count("id")).values_list("meter", "n"))
    assert set(Meter.objects.values_list("id", flat=True)) == set(counts)
    assert set(counts.values()) == {14}


def test_readings_never_run_backwards_except_by_rollover(demo) -> None:  # type: ignore[no-untyped-def]
    last: dict[tuple[int, str], Decimal] = {}
    for meter_id, digits, values in (
        (r.meter_id, r.meter.digits, r.values)
        for r in Reading.objects.select_related("meter").order_by("meter", "period")
    ):
        for zone, value in values.items():
            before = last.get((meter_id, zone))
            assert value < Decimal(10) ** digits
            if before is not None and value < before:
                assert is_rollover(before, value, digits=digits, max_share=Decimal("0.1")), (
                    meter_id,
                    before,
                    value,
                )
            last[(meter_id, zone)] = value


def test_zones_and_telemetry_fit_the_meters(demo) -> None:  # type: ignore[no-untyped-def]
    zones = defaultdict(set)
    for r in Reading.objects.select_related("meter"):
        zones[r.meter.zones].add(tuple(sorted(r.values)))
    assert zones[1] == {("T1",)} and zones.get(2, {("T1", "T2")}) == {("T1", "T2")}
    electricity = set(Meter.objects.filter(resource="electricity").values_list("id", flat=True))
    sampled = set(TelemetrySample.objects.values_list("meter_id", flat=True))
    assert sampled and sampled <= electricity
    assert Meter.objects.filter(
        account__number=HOUSEHOLD_ACCOUNTS[0], resource="electricity", id__in=sampled
    ).exists()


def test_the_demo_households_have_an_ivr_pin(demo) -> None:  # type: ignore[no-untyped-def]
    assert (
        authenticate_ivr_caller(account_number=HOUSEHOLD_ACCOUNTS[0], pin="1234").number
        == HOUSEHOLD_ACCOUNTS[0]
    )
