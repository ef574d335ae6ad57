"""Every write of the metering area: readings from all channels, their review, telemetry, IVR PINs."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from abonent.core.audit import record_audit_event
from abonent.core.errors import DomainError
from abonent.core.freshness import touch_customers
from abonent.core.models import AuditEvent
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account
from abonent.customers.sync import Change
from abonent.customers.sync import Topic as SyncTopic
from abonent.identity.models import User
from abonent.metering import sql
from abonent.metering.errors import (
    DigitsOutOfRange,
    FutureReading,
    MeterBusy,
    MeterNotFound,
    MeterOnAnotherAccount,
    PinLocked,
    ReadingsRejected,
    RemovalDateOnActiveMeter,
    RemovedBeforeInstallation,
    ReviewNotPending,
    VerificationBeforeInstallation,
    WrongPin,
    ZonesOutOfRange,
)
from abonent.metering.models import ZONE_CODES, Channel, IvrPin, Meter, Reading, TelemetrySample
from abonent.metering.rules import (
    MeterFacts,
    PastReading,
    check_meter,
    check_values,
    consumption,
    is_outlier,
    monthly_average,
    months_between,
)
from abonent.metering.windows import local_day, period_for

# Twelve months of consumption before the new reading judge whether it is unusually high.
HISTORY_READINGS = 13
# Read with the meter: the period's own reading and the history before it, plus one of a later
# period (a reading for a past period must stay below it). A submission with more later readings than
# that reads its history again.
_NEWEST = HISTORY_READINGS + 2
# A PIN checked against a missing row still costs one hash, so timing does not reveal accounts.
_DUMMY_PIN_HASH = make_password("0000")


@dataclass(frozen=True)
class Thresholds:
    """The configurable numbers of the plausibility rules (settings, "Metering")."""

    outlier_factor: Decimal
    outlier_min_months: int
    rollover_max_share: Decimal
    future_tolerance: timedelta

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            outlier_factor=Decimal(str(settings.METERING_OUTLIER_FACTOR)),
            outlier_min_months=settings.METERING_OUTLIER_MIN_MONTHS,
            rollover_max_share=Decimal(str(settings.METERING_ROLLOVER_MAX_SHARE)),
            future_tolerance=timedelta(seconds=settings.METERING_FUTURE_TOLERANCE_SECONDS),
        )


def submit_readings(
    *,
    meter: Meter,
    values: Mapping[str, Decimal | None],
    channel: str,
    submitted_by: User | None = None,
    submitted_at: datetime | None = None,
) -> Reading:
    """Accept the readings of every zone of one meter, or raise ReadingsRejected naming every problem.

    The period is the one the submission day falls in, or the next one after the window has closed;
    a later submission for the same period supersedes the earlier one, which stays as history.
    Unusually high consumption is accepted but marked for review.
    """
    now = timezone.now()
    submission = _Submission(
        meter=meter,
        values={str(zone).strip().upper(): _decimal(value) for zone, value in values.items()},
        channel=channel,
        submitted_by=submitted_by if submitted_by is not None and submitted_by.is_authenticated else None,
        submitted_at=submitted_at or now,
        now=now,
        limits=Thresholds.from_settings(),
    )
    actor = submission.submitted_by
    staff = actor if actor is not None and actor.is_staff else None
    for _attempt in range(_ATTEMPTS):
        with _writes_together(staff is not None):
            reading = _submit_once(submission)
            if reading is not None and staff is not None:  # staff acting for a customer are audited
                _audit_staff_reading(reading, staff, channel)
        if reading is not None:
            return reading
    raise MeterBusy()


# A submission that lost its meter to another one in between reads and decides again. Each loss means
# another submission for the meter was accepted, so up to this many at once all get through; more in a
# row means a client hammering one meter.
_ATTEMPTS = 10


@dataclass(frozen=True)
class _Submission:
    meter: Meter
    values: dict[str, Decimal | None]
    channel: str
    submitted_by: User | None
    submitted_at: datetime
    now: datetime
    limits: Thresholds


def _writes_together(audited: bool) -> AbstractContextManager[object]:
    """A transaction, unless the submission's writes are one statement (`sql.save` on PostgreSQL)."""
    if audited or connection.vendor != "postgresql":
        return transaction.atomic()
    return nullcontext()


def _submit_once(submission: _Submission) -> Reading | None:
    """Check and write the submission; None if another submission for the meter came first."""
    meter, values, limits = submission.meter, submission.values, submission.limits
    subject, newest = _meter_state(meter.pk)
    day = local_day(submission.submitted_at, subject.tz)
    if submission.submitted_at > submission.now + limits.future_tolerance:
        raise ReadingsRejected([FutureReading(day=day)])
    if problems := check_meter(meter=subject.facts, day=day):
        raise ReadingsRejected(problems)
    period = period_for(day, end_day=subject.window_end_day)
    history = _History.of(meter.pk, period, subject.tz, newest)
    if errors := check_values(
        values=values,
        meter=subject.facts,
        previous=history.earlier[-1] if history.earlier else None,
        later=history.later,
        max_share=limits.rollover_max_share,
    ):
        raise ReadingsRejected(errors)
    given = {zone: value for zone, value in values.items() if value is not None}
    new = PastReading(period=period, values=given, taken_on=day)
    average = _usual_if_unusual(history.earlier, new, subject.facts.digits, limits)
    reading = _save(submission, subject, period, given, history, average)
    if reading is not None:
        touch_customers([subject.customer_id])
    return reading


def _decimal(value: object) -> Decimal | None:
    """Accept what callers hold (Decimal, int, a numeric string); floats go through str to stay exact."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


@dataclass(frozen=True)
class _Subject:
    """What a submission needs to know about its meter."""

    facts: MeterFacts
    tz: tzinfo
    window_end_day: int
    customer_id: int
    readings_version: int


def _meter_state(meter_id: int) -> tuple[_Subject, list[sql.ReadingRow]]:
    """Return the meter and its newest counting readings (newest first), as of one moment."""
    row, newest = sql.meter_and_history(meter_id, _NEWEST)
    if row is None:
        raise MeterNotFound()
    facts = MeterFacts(
        serial=row.serial,
        zones=ZONE_CODES[: row.zones],
        digits=row.digits,
        status=row.status,
        installed_on=row.installed_on,
        next_verification_on=row.next_verification_on,
        removed_on=row.removed_on,
    )
    subject = _Subject(
        facts=facts,
        tz=_zone(row.time_zone),
        window_end_day=row.window_end_day,
        customer_id=row.customer_id,
        readings_version=row.readings_version,
    )
    return subject, newest


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class _History:
    """The counting readings around the period: the earlier ones (oldest first), its own, the next."""

    earlier: list[PastReading]
    same: sql.ReadingRow | None
    later: PastReading | None

    @classmethod
    def of(cls, meter_id: int, period: BillingPeriod, tz: tzinfo, newest: list[sql.ReadingRow]) -> _History:
        """Split the meter's newest counting readings around the period (reading more if they fall short)."""
        recent = [row for row in newest if row.period <= period.start]
        after = [row for row in newest if row.period > period.start]  # newest first: the next is the last
        later = after[-1] if after else None
        if len(newest) == _NEWEST and len(recent) < HISTORY_READINGS + 1:
            recent, later = sql.counting_around(meter_id, period.start, HISTORY_READINGS + 1)
        same = recent[0] if recent and recent[0].period == period.start else None
        return cls(
            earlier=[_past(row, tz) for row in reversed(recent) if row.period < period.start],
            same=same,
            later=_past(later, tz) if later else None,
        )


def _past(row: sql.ReadingRow, tz: tzinfo) -> PastReading:
    return PastReading(
        period=BillingPeriod.from_date(row.period),
        values=row.values,
        taken_on=local_day(row.submitted_at, tz),
    )


def _save(
    submission: _Submission,
    subject: _Subject,
    period: BillingPeriod,
    given: dict[str, Decimal],
    history: _History,
    average: Decimal | None,
) -> Reading | None:
    """Write the reading and its outbox event, superseding the period's earlier one unless that is newer."""
    same, now = history.same, submission.now
    same_is_older = same is not None and same.submitted_at <= submission.submitted_at
    reading = Reading(
        meter_id=submission.meter.pk,
        period=period.start,
        t1=given["T1"],  # every meter has T1, and check_values refused a missing one
        t2=given.get("T2"),
        t3=given.get("T3"),
        submitted_at=submission.submitted_at,
        channel=submission.channel,
        submitted_by=submission.submitted_by,
        # An older submission arriving late (a bulk file, a backdated call) is kept as history only.
        superseded_at=None if same is None or same_is_older else now,
        review=Reading.Review.PENDING if average is not None else Reading.Review.NONE,
        average_consumption=average,
    )
    # Readings from billing's own files are not echoed back to it.
    change = (
        None
        if submission.channel == Channel.BULK_FILE
        else _reading_change(submission, subject, period, given)
    )
    return sql.save(
        reading,
        version=subject.readings_version,
        superseding=same.id if same is not None and same_is_older else None,
        at=now,
        change=change,
    )


def _reading_change(
    submission: _Submission, subject: _Subject, period: BillingPeriod, given: dict[str, Decimal]
) -> Change:
    meter = submission.meter
    return Change(
        topic=SyncTopic.READING_SUBMITTED,
        customer_id=subject.customer_id,
        account_id=meter.account_id,
        payload={
            "meter": meter.serial_number,
            "period": period.start.isoformat(),
            "values": {zone: str(value) for zone, value in given.items()},
            "channel": submission.channel,
        },
    )


def _usual_if_unusual(
    earlier: list[PastReading], new: PastReading, digits: int, limits: Thresholds
) -> Decimal | None:
    """Return the usual monthly consumption when the new reading is well above it, else None."""
    if not earlier:
        return None
    previous = earlier[-1]
    per_month = consumption(previous, new, digits=digits) / max(
        months_between(previous.period, new.period), 1
    )
    average = monthly_average(earlier, digits=digits, min_months=limits.outlier_min_months)
    if is_outlier(per_month=per_month, average=average, factor=limits.outlier_factor):
        return round(average, 3) if average is not None else None
    return None


def _audit_staff_reading(reading: Reading, actor: User, channel: str) -> None:
    record_audit_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=reading,
        reason=f"reading via {channel}",
        changes={
            "meter": reading.meter_id,
            "period": str(reading.billing_period),
            "values": reading.values_text,
        },
    )


# --- review of unusually high readings ----------------------------------------------------------------
def review_reading(*, meter: Meter, reading_id: int, accept: bool, reviewed_by: object) -> Reading:
    """Confirm a flagged reading, or reject it so the period falls back to the previous reading."""
    now = timezone.now()
    decision = Reading.Review.CONFIRMED if accept else Reading.Review.REJECTED
    with transaction.atomic():
        claimed = Reading.objects.filter(pk=reading_id, meter=meter, review=Reading.Review.PENDING).update(
            review=decision, superseded_at=F("superseded_at") if accept else now
        )
        if not claimed:
            raise ReviewNotPending()
        if not accept:  # the meter's counting history changed: a submission that read it must read again
            Meter.objects.filter(pk=meter.pk).update(readings_version=F("readings_version") + 1)
        reading = Reading.objects.get(pk=reading_id)
        record_audit_event(
            actor=reviewed_by,
            action=AuditEvent.Action.UPDATE,
            target=reading,
            reason="reading review",
            changes={"review": decision},
        )
    return reading


# --- hourly telemetry ------------------------------------------------------------------------------
def record_telemetry(*, meter: Meter, samples: Iterable[tuple[datetime, Decimal]]) -> int:
    """Store hourly consumption samples (a repeated hour overwrites), returning how many were given."""
    rows = [
        TelemetrySample(meter=meter, hour=hour.replace(minute=0, second=0, microsecond=0), consumption=value)
        for hour, value in samples
    ]
    TelemetrySample.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["meter", "hour"], update_fields=["consumption"]
    )
    return len(rows)


# --- the voice robot's PIN -------------------------------------------------------------------------
PIN_LENGTH = 4


def set_ivr_pin(*, account: Account, pin: str, set_by: object | None = None) -> None:
    """Store the account's PIN for the voice robot (hashed) and clear any lock."""
    if not (pin.isdigit() and len(pin) == PIN_LENGTH):
        raise ValueError(f"a PIN has {PIN_LENGTH} digits")
    IvrPin.objects.update_or_create(
        account=account, defaults={"pin_hash": make_password(pin), "failed_attempts": 0, "locked_until": None}
    )
    if set_by is not None:
        record_audit_event(
            actor=set_by, action=AuditEvent.Action.UPDATE, target=account, reason="IVR PIN set"
        )


def issue_ivr_pin(*, account: Account, issued_by: object) -> str:
    """Generate a new random PIN for the account, store its hash and return it to be told once."""
    pin = f"{secrets.randbelow(10**PIN_LENGTH):0{PIN_LENGTH}d}"
    set_ivr_pin(account=account, pin=pin, set_by=issued_by)
    return pin


def authenticate_ivr_caller(*, account_number: str, pin: str) -> Account:
    """Return the account when the PIN matches; count failures and lock after too many."""
    now = timezone.now()
    row = IvrPin.objects.select_related("account").filter(account__number=account_number.strip()).first()
    if row is None:
        check_password(pin, _DUMMY_PIN_HASH)
        raise WrongPin()
    if row.locked_until and row.locked_until > now:
        raise PinLocked()
    if check_password(pin, row.pin_hash):
        if row.failed_attempts:
            IvrPin.objects.filter(pk=row.pk).update(failed_attempts=0, locked_until=None)
        return row.account
    _count_failure(row, now)
    raise WrongPin()


def _count_failure(row: IvrPin, now: datetime) -> None:
    IvrPin.objects.filter(pk=row.pk).update(failed_attempts=F("failed_attempts") + 1)
    limit = settings.METERING_IVR_MAX_ATTEMPTS
    lock_until = now + timedelta(minutes=settings.METERING_IVR_LOCK_MINUTES)
    # A conditional UPDATE, so concurrent wrong calls cannot both slip under the limit.
    IvrPin.objects.filter(pk=row.pk, failed_attempts__gte=limit).update(
        failed_attempts=0, locked_until=lock_until
    )


# --- the meter registry ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeterDetails:
    """What a meter registry (a billing system, staff) says about one meter."""

    resource: str
    serial_number: str
    installed_on: date
    next_verification_on: date
    zones: int = 1
    digits: int = 5
    status: str = Meter.Status.ACTIVE
    model_name: str = ""
    location: str = ""
    removed_on: date | None = None  # only with status "decommissioned"


def meter_detail_problems(details: MeterDetails) -> list[DomainError]:
    """Return every way the details break a meter's invariants (empty when they hold)."""
    problems: list[DomainError] = []
    if not 1 <= details.zones <= 3:
        problems.append(ZonesOutOfRange())
    if not 4 <= details.digits <= 9:
        problems.append(DigitsOutOfRange())
    if details.next_verification_on < details.installed_on:
        problems.append(VerificationBeforeInstallation())
    if details.removed_on is not None and details.status != Meter.Status.DECOMMISSIONED:
        problems.append(RemovalDateOnActiveMeter())
    if details.removed_on is not None and details.removed_on < details.installed_on:
        problems.append(RemovedBeforeInstallation())
    return problems


def save_meter(
    *, account: Account, details: MeterDetails, reason: str, changed_by: User | None = None
) -> tuple[Meter, str]:
    """Install the meter on the account, or bring the registered one to the details; never delete one.

    Returns the meter and "created", "updated" or "unchanged". A meter is known by its resource and
    serial number; one registered on another account is refused (moving it is a person's decision).
    Removal is a status with a date: the meter's readings and history stay, and a meter back in
    service loses its removal date.
    """
    if problems := meter_detail_problems(details):
        raise problems[0]
    with transaction.atomic():
        meter = (
            Meter.objects.select_for_update()
            .filter(resource=details.resource, serial_number=details.serial_number)
            .first()
        )
        if meter is not None and meter.account_id != account.pk:
            raise MeterOnAnotherAccount()
        wanted = {**asdict(details), "removed_on": _removal_day(meter, details)}
        if meter is None:
            meter, outcome, changes = Meter.objects.create(account=account, **wanted), "created", {}
        else:
            changes = {
                f: [str(getattr(meter, f)), str(v)] for f, v in wanted.items() if getattr(meter, f) != v
            }
            if not changes:
                return meter, "unchanged"
            for name in changes:
                setattr(meter, name, wanted[name])
            meter.save(update_fields=list(changes))
            outcome = "updated"
        action = AuditEvent.Action.CREATE if outcome == "created" else AuditEvent.Action.UPDATE
        record_audit_event(actor=changed_by, action=action, target=meter, reason=reason, changes=changes)
        touch_customers([account.customer_id])
    return meter, outcome


def _removal_day(meter: Meter | None, details: MeterDetails) -> date | None:
    """Return the removal date the meter gets: the given one, the one known, or today for a new removal.

    A registry that says "removed" without a date is still believed, and the day it said so is the
    latest the meter can have left service; a meter already out of service (or first seen so) without
    a date keeps none, since any date would be invented.
    """
    if details.status != Meter.Status.DECOMMISSIONED:
        return None
    if details.removed_on is not None:
        return details.removed_on
    if meter is None:
        return None
    if meter.status == Meter.Status.DECOMMISSIONED:
        return meter.removed_on
    return max(timezone.localdate(), details.installed_on)
