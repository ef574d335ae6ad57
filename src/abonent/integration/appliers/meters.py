"""Apply a billing system's meter register: install, change or remove each account's meters.

Billing is the register's master: a row creates the meter on the account or brings the registered one
to the row (metering's `save_meter`, which keeps the invariants and writes the audit). A removed meter
keeps its status "decommissioned", its removal date and its readings: nothing is ever deleted. Initial
readings of a new meter go through metering's own submission rules (channel "bulk file").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone

from abonent.customers.models import Account, Resource
from abonent.integration.appliers.upsert import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Parsed,
    RowRefused,
    UpsertApplier,
    inverted,
    spoken,
)
from abonent.integration.cleaning import stable_hash
from abonent.integration.fields import fields_for
from abonent.metering.errors import ReadingsRejected
from abonent.metering.models import Channel, Meter
from abonent.metering.services import MeterDetails, meter_detail_problems, save_meter, submit_readings

_METERED = (Resource.ELECTRICITY, Resource.HEAT, Resource.HOT_WATER, Resource.COLD_WATER, Resource.GAS)
# How exports name resources, compared in lower case with ё as е and without punctuation.
RESOURCE_NAMES: dict[str, str] = inverted(
    {
        Resource.ELECTRICITY: (
            "электроэнергия",
            "электричество",
            "электроснабжение",
            "эл энергия",
            "ээ",
            "э э",
            "квт ч",
            "power",
        ),
        Resource.HEAT: ("отопление", "тепло", "теплоснабжение", "тепловая энергия", "тэ", "гкал", "heating"),
        Resource.HOT_WATER: ("гвс", "горячая вода", "горячее водоснабжение", "hot water", "hotwater"),
        Resource.COLD_WATER: (
            "хвс",
            "холодная вода",
            "холодное водоснабжение",
            "водоснабжение",
            "cold water",
            "coldwater",
        ),
        Resource.GAS: ("газ", "газоснабжение", "природный газ"),
    }
)
RESOURCE_NAMES.update({str(r.value): str(r.value) for r in _METERED})
STATUS_NAMES: dict[str, str] = inverted(
    {
        Meter.Status.ACTIVE: (
            "active",
            "действует",
            "действующий",
            "в работе",
            "работает",
            "установлен",
            "активен",
            "1",
        ),
        Meter.Status.DECOMMISSIONED: (
            "removed",
            "decommissioned",
            "снят",
            "демонтирован",
            "выведен",
            "выведен из эксплуатации",
            "не действует",
            "0",
        ),
        Meter.Status.FAILED: ("failed", "неисправен", "вышел из строя"),
    }
)


@dataclass(frozen=True)
class MeterRow(Parsed):
    account: Account
    details: MeterDetails
    initial_on: date
    initial: dict[str, Decimal]


class MeterApplier(UpsertApplier[MeterRow]):
    record_kind = "meter"

    def prepare(self, values: list[dict[str, str]]) -> None:
        super().prepare(values)
        serials = {v["meter"] for v in values}
        self.registered = {
            (m.resource, m.serial_number): m for m in Meter.objects.filter(serial_number__in=serials)
        }
        self.names = [spec.name for spec in fields_for(self.kind)]
        self.today = timezone.localdate()

    def parse(self, values: dict[str, str]) -> MeterRow:
        reasons: list[str] = []
        account = self.account(values)
        if account is None:
            reasons.append("unknown_account")
        resource = RESOURCE_NAMES.get(spoken(values["resource"]))
        if resource is None:
            reasons.append("unknown_resource")
        existing = self.registered.get((resource or "", values["meter"]))
        status, removed_on = _status(values, reasons)
        installed_on = date.fromisoformat(values["installed_on"])
        if installed_on > self.today:
            reasons.append("installed_in_future")
        details = MeterDetails(
            resource=resource or "",
            serial_number=values["meter"],
            installed_on=installed_on,
            next_verification_on=date.fromisoformat(values["next_verification_on"]),
            zones=_whole(values["zones"], existing.zones if existing else 1),
            digits=_whole(values["digits"], existing.digits if existing else 5),
            status=status,
            model_name=values["model_name"][:100] or (existing.model_name if existing else ""),
            location=values["location"][:200] or (existing.location if existing else ""),
            removed_on=removed_on,
        )
        reasons += [problem.code for problem in meter_detail_problems(details)]
        if reasons or account is None:
            raise RowRefused(reasons)
        initial = {
            z.upper(): Decimal(values[f"initial_{z}"]) for z in ("t1", "t2", "t3") if values[f"initial_{z}"]
        }
        initial_on = date.fromisoformat(values["initial_on"]) if values["initial_on"] else installed_on
        digest = stable_hash("\x1f".join(values[n] for n in self.names))
        return MeterRow(digest, account, details, initial_on, initial)

    def upsert(self, parsed: MeterRow, target_id: int | None) -> tuple[str, int | None]:
        reason = f"meter register import from {self.source_code}"
        meter, outcome = save_meter(account=parsed.account, details=parsed.details, reason=reason)
        if outcome == "created" and parsed.initial and meter.status == Meter.Status.ACTIVE:
            _record_initial(meter, parsed)
        return {"created": CREATED, "updated": UPDATED}.get(outcome, UNCHANGED), meter.pk


def _status(values: dict[str, str], reasons: list[str]) -> tuple[str, date | None]:
    """Return the meter status the row means and its removal date; a removal date means "removed"."""
    removed_on = date.fromisoformat(values["removed_on"]) if values["removed_on"] else None
    implied = Meter.Status.DECOMMISSIONED if removed_on else Meter.Status.ACTIVE
    named = spoken(values["status"])
    if not named:
        return implied, removed_on
    status = STATUS_NAMES.get(named)
    if status is None:
        reasons.append("unknown_meter_status")
        return implied, removed_on  # the row is refused; the date is not also blamed on the status
    return status, removed_on


def _whole(text: str, default: int) -> int:
    """Return a count given as a number ("2", "2.0"); a fraction becomes 0, which no range accepts."""
    if not text:
        return default
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() and abs(value) < 1000 else 0


def _record_initial(meter: Meter, parsed: MeterRow) -> None:
    """Submit the new meter's initial readings, or refuse the whole row with metering's reasons."""
    meter.account = parsed.account
    tz = parsed.account.branch.zone
    moment = min(datetime.combine(parsed.initial_on, time(12), tzinfo=tz), timezone.now())
    try:
        submit_readings(meter=meter, values=parsed.initial, channel=Channel.BULK_FILE, submitted_at=moment)
    except ReadingsRejected as rejection:
        raise RowRefused([f"initial_reading:{error.code}" for error in rejection.errors]) from rejection
