"""Apply rows that go through another domain's service one by one: readings, charges, payments, balances.

Each row runs in its own savepoint, so a refused row is quarantined with the service's own error code
and the chunk goes on. The ledger's idempotency keys (source code + the row's id in the source) make a
re-run post nothing twice even if the source records were lost; a charge whose content changed after
posting is quarantined, because an append-only ledger takes a correction, not an edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from abonent.billing.models import LedgerEntry
from abonent.billing.services.ledger import post_entry, post_payment
from abonent.core.errors import DomainError
from abonent.customers.models import Account, Service
from abonent.integration.appliers.base import ChunkResult, load_records, save_records
from abonent.integration.appliers.documents import DocumentApplier
from abonent.integration.appliers.meters import MeterApplier
from abonent.integration.appliers.upsert import UpsertApplier
from abonent.integration.cleaning import stable_hash
from abonent.integration.fields import KIND_KEYS, FileKind, fields_for
from abonent.metering.errors import ReadingsRejected
from abonent.metering.models import Channel, Meter
from abonent.metering.services import submit_readings


class RowApplier:
    """Applies one row at a time through a domain service; subclasses say how."""

    record_kind = ""

    def __init__(self, *, source_id: int, source_code: str, kind: str, run_id: int | None) -> None:
        self.source_id, self.source_code, self.kind, self.run_id = source_id, source_code, kind, run_id
        self.names = [spec.name for spec in fields_for(kind)]

    def apply(self, rows: Sequence[tuple[int, dict[str, str]]]) -> ChunkResult:
        keys = {position: "/".join(v[k] for k in KIND_KEYS[self.kind]) for position, v in rows}
        known = load_records(self.source_id, self.record_kind, keys.values())
        self.prepare([v for _p, v in rows])
        result, records = ChunkResult(), []
        for position, values in rows:
            digest = stable_hash("\x1f".join(values[n] for n in self.names))
            record = known.get(keys[position])
            if record is not None and record[0] == digest:
                result.outcomes[position] = "N"
                continue
            if record is not None:
                result.quarantine[position] = ["changed_after_posting"]
                continue
            try:
                with transaction.atomic():
                    target = self.apply_row(values)
            except ReadingsRejected as rejection:
                result.quarantine[position] = [f"rejected:{error.code}" for error in rejection.errors]
                continue
            except DomainError as error:
                result.quarantine[position] = [f"rejected:{error.code}"]
                continue
            result.outcomes[position] = "A"
            records.append((keys[position], digest, target))
        save_records(self.source_id, self.record_kind, records, self.run_id, known)
        return result

    def prepare(self, values: list[dict[str, str]]) -> None:
        numbers = {v["account_number"] for v in values}
        self.accounts = {
            a.number: a for a in Account.objects.filter(number__in=numbers).select_related("branch")
        }

    def account(self, values: dict[str, str]) -> Account:
        account = self.accounts.get(values["account_number"])
        if account is None:
            raise UnknownAccount()
        return account

    def apply_row(self, values: dict[str, str]) -> int | None:
        raise NotImplementedError

    def ledger_source(self) -> str:
        return f"import:{self.source_code}"[:40]


class UnknownAccount(DomainError):
    code = "unknown_account"


class UnknownService(DomainError):
    code = "unknown_service"


class UnknownMeterRow(DomainError):
    code = "unknown_meter"


class ServiceRows(RowApplier):
    def prepare(self, values: list[dict[str, str]]) -> None:
        super().prepare(values)
        self.services = {
            s.code: s for s in Service.objects.filter(code__in={v.get("service", "") for v in values})
        }

    def service(self, values: dict[str, str]) -> Service:
        service = self.services.get(values["service"])
        if service is None:
            raise UnknownService()
        return service


class ChargeApplier(ServiceRows):
    record_kind = "charge"

    def apply_row(self, values: dict[str, str]) -> int | None:
        amount = Decimal(values["amount"])
        period = date.fromisoformat(values["period"])
        entry = post_entry(
            account=self.account(values),
            service=self.service(values),
            period=period,
            kind=LedgerEntry.Kind.CHARGE if amount >= 0 else LedgerEntry.Kind.RECALCULATION,
            amount=amount,
            occurred_on=period,
            source=self.ledger_source(),
            idempotency_key=f"charge:{values['charge_id']}",
            reason="imported charge",
        )
        return entry.pk


class BalanceApplier(ServiceRows):
    record_kind = "balance"

    def apply_row(self, values: dict[str, str]) -> int | None:
        amount = Decimal(values["amount"])
        if amount == 0:
            return None  # nothing owed either way: nothing to post
        as_of = date.fromisoformat(values["as_of"])
        entry = post_entry(
            account=self.account(values),
            service=self.service(values),
            period=as_of,
            kind=LedgerEntry.Kind.RECALCULATION,
            amount=amount,
            occurred_on=as_of,
            source=self.ledger_source(),
            idempotency_key=f"balance:{values['account_number']}:{values['service']}:{values['as_of']}",
            reason="opening balance from the billing system",
        )
        return entry.pk


class PaymentApplier(RowApplier):
    record_kind = "payment"

    def apply_row(self, values: dict[str, str]) -> int | None:
        entries = post_payment(
            account=self.account(values),
            amount=Decimal(values["amount"]),
            paid_on=date.fromisoformat(values["paid_on"]),
            idempotency_key=f"payment:{values['payment_id']}",
            source=self.ledger_source(),
            reason="imported payment",
        )
        return entries[0].pk if entries else None


class ReadingApplier(RowApplier):
    record_kind = "reading"

    def prepare(self, values: list[dict[str, str]]) -> None:
        super().prepare(values)
        meters = Meter.objects.filter(serial_number__in={v["meter"] for v in values}).select_related(
            "account__branch"
        )
        self.meters = {(m.account.number, m.serial_number): m for m in meters}

    def apply_row(self, values: dict[str, str]) -> int | None:
        meter = self.meters.get((values["account_number"], values["meter"]))
        if meter is None:
            raise UnknownMeterRow()
        zones: dict[str, Any] = {z.upper(): Decimal(values[z]) for z in ("t1", "t2", "t3") if values.get(z)}
        reading = submit_readings(
            meter=meter, values=zones, channel=Channel.BULK_FILE, submitted_at=_moment(values["date"], meter)
        )
        return reading.pk


def _moment(day: str, meter: Meter) -> datetime:
    """Noon of the reading's day in the branch's zone, or now for today's readings arriving in the morning."""
    tz = meter.account.branch.zone
    parsed = date.fromisoformat(day)
    noon = datetime.combine(parsed, time(12), tzinfo=tz)
    now = timezone.now()
    return now if noon > now and parsed == timezone.localtime(now, tz).date() else noon


ROW_APPLIERS: dict[str, type[RowApplier] | type[UpsertApplier[Any]]] = {
    FileKind.CHARGES: ChargeApplier,
    FileKind.PAYMENTS: PaymentApplier,
    FileKind.BALANCES: BalanceApplier,
    FileKind.READINGS: ReadingApplier,
    FileKind.METERS: MeterApplier,
    FileKind.DOCUMENTS: DocumentApplier,
}
