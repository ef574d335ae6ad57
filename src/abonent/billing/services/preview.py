"""The charge preview: what readings being typed will cost, computed exactly as the charge run will.

It reads the account's facts the way the run does, puts the typed values in place of the period's
readings, and asks `billing.charging.charge_account` — so the preview and the bill cannot differ
for the same readings (a test holds them equal). Nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from abonent.billing.charging import AccountCharge, AccountFacts, charge_account
from abonent.billing.services.charge_run import ChunkFacts
from abonent.core.money import ZERO
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account
from abonent.metering.windows import window_status

ZONE_KEYS = ("T1", "T2", "T3")


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviewLine:
    service: str
    unit: str
    zone: str
    basis: str
    volume: Decimal
    price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargePreview:
    period: BillingPeriod
    lines: list[PreviewLine]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


def preview_charges(
    *, account: Account, readings: Mapping[int, Mapping[str, Decimal]], on_date: date
) -> ChargePreview:
    """Return the charges of the metered services whose meters got readings, per zone and in total.

    `readings` maps a meter id to its zone values ("T1", "T2", "T3"); the period is the one a
    reading submitted on `on_date` counts for (the readings window decides).
    """
    period = window_status(organisation=account.branch.organisation, today=on_date).period
    facts = ChunkFacts.read(
        branch_id=account.branch_id, period=period, first=account.pk, last=account.pk, include_billed=True
    )
    if not facts.accounts:
        return ChargePreview(period=period, lines=[])
    typed = {meter_id: values for meter_id, values in readings.items() if values}
    account_facts = _with_readings(facts.accounts[0], typed, period)
    charge = charge_account(account=account_facts, period=period, services=facts.services, book=facts.book)
    return ChargePreview(period=period, lines=_lines(charge, facts, typed))


def _with_readings(
    facts: AccountFacts, typed: Mapping[int, Mapping[str, Decimal]], period: BillingPeriod
) -> AccountFacts:
    meters = []
    for meter in facts.meters:
        values = typed.get(meter.id)
        if values:
            readings = dict(meter.readings)
            readings[period.start] = {zone: Decimal(values[zone]) for zone in ZONE_KEYS if zone in values}
            meter = replace(meter, readings=readings)
        meters.append(meter)
    return replace(facts, meters=meters)


def _lines(charge: AccountCharge, facts: ChunkFacts, typed: Mapping[int, object]) -> list[PreviewLine]:
    services = {service_id for service_id, volume, _prices in charge.meters if volume.meter.id in typed}
    return [
        PreviewLine(
            service=facts.services[line.service_id].name,
            unit=facts.services[line.service_id].unit,
            zone=line.zone,
            basis=line.basis,
            volume=line.volume,
            price=line.price,
            amount=line.charged,
        )
        for line in charge.lines
        if line.service_id in services
    ]
