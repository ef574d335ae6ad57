"""Meters with a reading history, and a clock set inside or outside the readings window.

The branch of the `account` persona is in Asia/Yekaterinburg (UTC+5); its organisation takes readings
from the 15th to the 25th. Unless a test says otherwise the clock stands at 20 November 2026,
15:00 local time, inside the window: readings count for November 2026.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Resource
from abonent.metering.models import Channel, Meter, Reading
from tests.factories import MeterFactory

EKB = ZoneInfo("Asia/Yekaterinburg")
NOW = datetime.datetime(2026, 11, 20, 15, 0, tzinfo=EKB)


def local(year: int, month: int, day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=EKB)


@pytest.fixture(autouse=True)
def clock() -> Iterator[object]:
    with freeze_time(NOW) as frozen:
        yield frozen


@pytest.fixture
def meter(account: Account) -> Meter:
    return electricity_meter(account)


@pytest.fixture
def water_meter(account: Account) -> Meter:
    return cold_water_meter(account)


def electricity_meter(account: Account) -> Meter:
    """A two-zone electricity meter with 6 digits and readings from September 2025 to October 2026
    (150 kWh a month: 105 by day, 45 by night; October 2026 ends at T1 13260, T2 5540)."""
    meter = MeterFactory(
        account=account, resource=Resource.ELECTRICITY, zones=2, digits=6, serial_number="E100"
    )
    history(meter, start=BillingPeriod(2025, 9), months=14, t1=Decimal("11895"), t2=Decimal("4955"))
    return meter


def cold_water_meter(account: Account) -> Meter:
    """A single-rate cold-water meter with 5 digits, Sep 2025 to Oct 2026: 5 m³ a month, 360 last."""
    meter = MeterFactory(
        account=account, resource=Resource.COLD_WATER, zones=1, digits=5, serial_number="W200"
    )
    history(meter, start=BillingPeriod(2025, 9), months=14, t1=Decimal("295"), step=(Decimal(5), None))
    return meter


def history(
    meter: Meter,
    *,
    start: BillingPeriod,
    months: int,
    t1: Decimal,
    t2: Decimal | None = None,
    step: tuple[Decimal, Decimal | None] = (Decimal(105), Decimal(45)),
) -> list[Reading]:
    """Write one counting reading per period from `start`, submitted on the 20th at noon."""
    readings = []
    for offset in range(months):
        period = start.shift(offset)
        readings.append(
            Reading.objects.create(
                meter=meter,
                period=period.start,
                t1=t1 + step[0] * offset,
                t2=(t2 + (step[1] or 0) * offset) if t2 is not None else None,
                submitted_at=local(period.year, period.month, 20),
                channel=Channel.CABINET,
            )
        )
    return readings


@pytest.fixture
def add_history() -> Callable[..., list[Reading]]:
    return history
