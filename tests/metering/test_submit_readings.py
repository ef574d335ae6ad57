"""submit_readings: the window, last-in-window wins, verification, outliers, dates, digits, channels."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from abonent.core.models import AuditEvent
from abonent.core.periods import BillingPeriod
from abonent.customers.models import SyncEvent
from abonent.customers.sync import Topic
from abonent.metering import sql
from abonent.metering.errors import MeterBusy, ReadingsRejected
from abonent.metering.models import Channel, Meter, Reading
from abonent.metering.services import submit_readings
from tests.factories import MeterFactory
from tests.metering.conftest import NOW, local
from tests.metering.conftest import history as add_history

pytestmark = pytest.mark.django_db

# The fixture history ends with October 2026: T1 13260, T2 5540 (day 20 at noon).
GOOD = {"T1": Decimal("13400"), "T2": Decimal("5600")}


def rejected_codes(excinfo: pytest.ExceptionInfo[ReadingsRejected]) -> dict[str | None, str]:
    return {error.zone: error.code for error in excinfo.value.errors}


def test_a_reading_in_the_window_counts_for_the_current_period(meter, customer) -> None:  # type: ignore[no-untyped-def]
    reading = submit_readings(meter=meter, values=GOOD, channel=Channel.CABINET, submitted_by=customer)
    assert reading.period == datetime.date(2026, 11, 1)
    assert reading.values == GOOD
    assert (reading.channel, reading.submitted_by, reading.submitted_at) == (Channel.CABINET, customer, NOW)
    assert reading.is_current and reading.review == ""


def test_a_reading_after_the_window_counts_for_the_next_period(meter, clock) -> None:  # type: ignore[no-untyped-def]
    clock.move_to(local(2026, 11, 26, 9))
    reading = submit_readings(meter=meter, values=GOOD, channel=Channel.API)
    assert reading.period == datetime.date(2026, 12, 1)


def test_the_window_closes_at_midnight_of_the_branch(meter, clock) -> None:  # type: ignore[no-untyped-def]
    clock.move_to(local(2026, 11, 25, 23))  # 25 November 23:00 in Yekaterinburg is still the 25th there
    assert submit_readings(meter=meter, values=GOOD, channel=Channel.IVR).period == datetime.date(2026, 11, 1)
    clock.move_to(datetime.datetime(2026, 11, 25, 19, 30, tzinfo=datetime.UTC))  # 00:30 on the 26th there
    assert submit_readings(meter=meter, values=GOOD, channel=Channel.IVR).period == datetime.date(2026, 12, 1)


def test_the_last_submission_in_the_window_wins_and_history_is_kept(meter, clock) -> None:  # type: ignore[no-untyped-def]
    first = submit_readings(
        meter=meter, values={"T1": Decimal("13500"), "T2": Decimal("5600")}, channel="cabinet"
    )
    clock.tick(datetime.timedelta(hours=2))
    second = submit_readings(
        meter=meter, values={"T1": Decimal("13450"), "T2": Decimal("5600")}, channel="cabinet"
    )
    first.refresh_from_db()
    assert not first.is_current and first.superseded_at is not None
    assert second.is_current
    counting = Reading.objects.filter(
        meter=meter, period=datetime.date(2026, 11, 1), superseded_at__isnull=True
    )
    assert list(counting) == [second]
    assert Reading.objects.filter(meter=meter, period=datetime.date(2026, 11, 1)).count() == 2


def test_a_correction_may_be_lower_than_the_replaced_reading(meter) -> None:  # type: ignore[no-untyped-def]
    submit_readings(meter=meter, values={"T1": Decimal("13900"), "T2": Decimal("5600")}, channel="cabinet")
    fixed = submit_readings(
        meter=meter, values={"T1": Decimal("13290"), "T2": Decimal("5600")}, channel="cabinet"
    )
    assert fixed.is_current  # compared with October, not with the mistyped November value


def test_an_older_reading_arriving_late_is_kept_as_history_only(meter) -> None:  # type: ignore[no-untyped-def]
    current = submit_readings(meter=meter, values=GOOD, channel="cabinet")
    late = submit_readings(meter=meter, values=GOOD, channel="bulk_file", submitted_at=local(2026, 11, 16))
    current.refresh_from_db()
    assert current.is_current and not late.is_current


def test_every_zone_error_is_reported_at_once(meter) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ReadingsRejected) as excinfo:
        submit_readings(
            meter=meter, values={"T1": Decimal("13000"), "T2": Decimal("5500")}, channel="cabinet"
        )
    assert rejected_codes(excinfo) == {"T1": "lower_than_previous", "T2": "lower_than_previous"}
    assert (
        "5500" in excinfo.value.message
        and "5540" in excinfo.value.message
        and "20.10.2026" in excinfo.value.message
    )
    assert not Reading.objects.filter(meter=meter, period=datetime.date(2026, 11, 1)).exists()


def test_a_missing_zone_is_named(meter) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ReadingsRejected) as excinfo:
        submit_readings(meter=meter, values={"T1": Decimal("13400")}, channel="cabinet")
    assert rejected_codes(excinfo) == {"T2": "zone_missing"}


def test_more_digits_than_the_meter_has_are_refused(meter) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ReadingsRejected) as excinfo:
        submit_readings(
            meter=meter, values={"T1": Decimal("1234567"), "T2": Decimal("5600")}, channel="cabinet"
        )
    assert rejected_codes(excinfo) == {"T1": "too_many_digits"}


def test_a_register_rollover_is_accepted(water_meter, add_history) -> None:  # type: ignore[no-untyped-def]
    Reading.objects.filter(meter=water_meter).delete()
    add_history(
        water_meter, start=BillingPeriod(2026, 8), months=3, t1=Decimal("99980"), step=(Decimal(5), None)
    )
    # 99990 in October, 3 now: the 5-digit register passed 99999 after 13 m³.
    reading = submit_readings(meter=water_meter, values={"T1": Decimal("3")}, channel="cabinet")
    assert reading.is_current and reading.review == ""


def test_expired_verification_refuses_readings(meter) -> None:  # type: ignore[no-untyped-def]
    Meter.objects.filter(pk=meter.pk).update(next_verification_on=datetime.date(2026, 11, 19))
    with pytest.raises(ReadingsRejected) as excinfo:
        submit_readings(meter=meter, values=GOOD, channel="cabinet")
    assert rejected_codes(excinfo) == {None: "verification_expired"}
    assert "19.11.2026" in excinfo.value.message


def test_verification_due_today_still_accepts(meter) -> None:  # type: ignore[no-untyped-def]
    Meter.objects.filter(pk=meter.pk).update(next_verification_on=datetime.date(2026, 11, 20))
    assert submit_readings(meter=meter, values=GOOD, channel="cabinet").is_current


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (Meter.Status.DECOMMISSIONED, "meter_decommissioned"),
        (Meter.Status.FAILED, "meter_failed"),
        (Meter.Status.VERIFICATION_EXPIRED, "verification_expired"),
    ],
)
def test_meters_out_of_service_refuse_readings(meter, status, code) -> None:  # type: ignore[no-untyped-def]
    Meter.objects.filter(pk=meter.pk).update(status=status)
    with pytest.raises(ReadingsRejected) as excinfo:
        submit_readings(meter=meter, values=GOOD, channel="cabinet")
    assert rejected_codes(excinfo) == {None: code}


def test_readings_taken_after_the_removal_are_refused_and_the_final_one_is_not(meter) -> None:  # type: ignore[no-untyped-def]
    Meter.objects.filter(pk=meter.pk).update(
        status=Meter.Status.DECOMMISSIONED, removed_on=datetime.date(2026, 11, 5)
    )
    with pytest.raises(ReadingsRejected) as excinfo:
        submit_readings(meter=meter, values=GOOD, channel="cabinet")
    assert rejected_codes(excinfo) == {None: "meter_removed"}
    assert "05.11.2026" in excinfo.value.message

    # The reading taken when the meter came off arrives later in billing's file, dated that day.
    final = submit_readings(meter=meter, values=GOOD, channel="bulk_file", submitted_at=local(2026, 11, 5))
    assert final.is_current and final.period == datetime.date(2026, 11, 1)


def test_future_dates_are_refused(meter) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ReadingsRejected) as excinfo:
        submit_readings(
            meter=meter, values=GOOD, channel="bulk_file", submitted_at=NOW + datetime.timedelta(days=1)
        )
    assert rejected_codes(excinfo) == {None: "future_date"}
    # A few minutes of clock skew between servers is no future.
    assert submit_readings(
        meter=meter, values=GOOD, channel="api", submitted_at=NOW + datetime.timedelta(minutes=2)
    )


def test_a_reading_before_installation_is_refused(account) -> None:  # type: ignore[no-untyped-def]
    fresh = MeterFactory(account=account, installed_on=datetime.date(2026, 11, 18))
    with pytest.raises(ReadingsRejected) as excinfo:
        submit_readings(
            meter=fresh, values={"T1": Decimal(1)}, channel="bulk_file", submitted_at=local(2026, 11, 10)
        )
    assert rejected_codes(excinfo) == {None: "before_installation"}


def test_a_backdated_reading_must_fit_between_its_neighbours(meter) -> None:  # type: ignore[no-untyped-def]
    # September 2026 lies between August (13050/5450) and October (13260/5540).
    with pytest.raises(ReadingsRejected) as excinfo:
        submit_readings(
            meter=meter, values={"T1": Decimal("13300"), "T2": Decimal("5500")}, channel="bulk_file",
            submitted_at=local(2026, 9, 21),
        )  # fmt: skip
    assert rejected_codes(excinfo) == {"T1": "higher_than_later"}


def test_a_backdated_reading_behind_many_later_ones_is_checked_against_its_neighbours(account) -> None:  # type: ignore[no-untyped-def]
    # 30 months from May 2024 (10 m³ a month): a correction of October 2024 lies under more later
    # readings than the submission reads with the lock, so its neighbours are read again.
    water = MeterFactory(account=account, zones=1, digits=5, serial_number="W-LONG")
    add_history(water, start=BillingPeriod(2024, 5), months=30, t1=Decimal(100), step=(Decimal(10), None))
    with pytest.raises(ReadingsRejected) as excinfo:  # November 2024 reads 160
        submit_readings(
            meter=water, values={"T1": Decimal(175)}, channel="bulk_file", submitted_at=local(2024, 10, 22)
        )
    assert rejected_codes(excinfo) == {"T1": "higher_than_later"}
    with pytest.raises(ReadingsRejected) as excinfo:  # September 2024 reads 140
        submit_readings(
            meter=water, values={"T1": Decimal(139)}, channel="bulk_file", submitted_at=local(2024, 10, 22)
        )
    assert rejected_codes(excinfo) == {"T1": "lower_than_previous"}
    fixed = submit_readings(
        meter=water, values={"T1": Decimal(152)}, channel="bulk_file", submitted_at=local(2024, 10, 22)
    )
    counting = Reading.objects.get(meter=water, period=datetime.date(2024, 10, 1), superseded_at__isnull=True)
    assert counting == fixed and fixed.t1 == Decimal(152)


def test_each_accepted_reading_goes_to_the_billing_outbox_once(meter, customer, account) -> None:  # type: ignore[no-untyped-def]
    first = submit_readings(meter=meter, values=GOOD, channel=Channel.CABINET, submitted_by=customer)
    second = submit_readings(
        meter=meter, values={"T1": Decimal("13410"), "T2": Decimal("5600")}, channel=Channel.CABINET
    )
    submit_readings(meter=meter, values=GOOD, channel=Channel.BULK_FILE)  # billing's own file: no echo
    events = SyncEvent.objects.filter(topic=Topic.READING_SUBMITTED).order_by("id")
    assert [event.idempotency_key for event in events] == [f"reading:{first.pk}", f"reading:{second.pk}"]
    assert (events[1].customer_id, events[1].account_id) == (account.customer_id, account.pk)
    assert events[1].payload == {
        "meter": "E100",
        "period": "2026-11-01",
        "values": {"T1": "13410", "T2": "5600"},
        "channel": "cabinet",
    }


def test_a_submission_that_lost_its_meter_to_another_reads_again_and_supersedes_it(
    meter, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # Another submission is accepted between this one's read and its write: the write finds the meter's
    # readings version moved on, writes nothing, and the submission decides again on the new history.
    read = sql.meter_and_history
    interleaved: list[Reading] = []

    def read_then_let_another_in(meter_id: int, depth: int):  # type: ignore[no-untyped-def]
        state = read(meter_id, depth)
        if not interleaved:
            monkeypatch.setattr(sql, "meter_and_history", read)  # the other submission reads plainly
            other = {"T1": Decimal("13300"), "T2": Decimal("5580")}
            interleaved.append(submit_readings(meter=meter, values=other, channel="ivr"))
            monkeypatch.setattr(sql, "meter_and_history", read_then_let_another_in)
        return state

    monkeypatch.setattr(sql, "meter_and_history", read_then_let_another_in)
    mine = submit_readings(meter=meter, values=GOOD, channel="cabinet")
    other = interleaved[0]
    other.refresh_from_db()
    assert mine.is_current and not other.is_current
    assert Reading.objects.filter(meter=meter, period=datetime.date(2026, 11, 1)).count() == 2
    assert SyncEvent.objects.filter(topic=Topic.READING_SUBMITTED).count() == 2


def test_a_write_based_on_a_stale_read_writes_nothing(meter) -> None:  # type: ignore[no-untyped-def]
    row, _ = sql.meter_and_history(meter.pk, 15)
    submit_readings(meter=meter, values=GOOD, channel="cabinet")
    stale = Reading(meter=meter, period=datetime.date(2026, 11, 1), t1=Decimal(13500), t2=Decimal(5600),
                    submitted_at=NOW, channel="cabinet")  # fmt: skip
    assert sql.save(stale, version=row.readings_version, superseding=None, at=NOW, change=None) is None
    assert Reading.objects.filter(meter=meter, period=datetime.date(2026, 11, 1)).count() == 1


def test_a_meter_hammered_past_every_retry_answers_busy(meter, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sql, "save", lambda *args, **kwargs: None)
    with pytest.raises(MeterBusy):
        submit_readings(meter=meter, values=GOOD, channel="cabinet")


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_for_one_meter_leave_one_counting_reading(meter) -> None:  # type: ignore[no-untyped-def]
    """Eight submissions for one meter at once: each accepted, the period counts exactly one of them."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def worker(step: int) -> Reading:
        try:
            return submit_readings(
                meter=meter, values={"T1": Decimal(13300 + step), "T2": Decimal(5600)}, channel="cabinet"
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        accepted = list(pool.map(worker, range(8)))

    period = datetime.date(2026, 11, 1)
    assert len({reading.pk for reading in accepted}) == 8
    assert Reading.objects.filter(meter=meter, period=period).count() == 8
    assert Reading.objects.filter(meter=meter, period=period, superseded_at__isnull=True).count() == 1
    meter.refresh_from_db()
    assert meter.readings_version == 8


def test_unusually_high_consumption_is_accepted_but_flagged(meter) -> None:  # type: ignore[no-untyped-def]
    # The usual month is 150 kWh (105 + 45); 600 is four times that.
    reading = submit_readings(
        meter=meter, values={"T1": Decimal("13680"), "T2": Decimal("5720")}, channel="cabinet"
    )
    assert reading.is_current
    assert reading.review == Reading.Review.PENDING
    assert reading.average_consumption == Decimal("150.000")


def test_the_outlier_factor_is_configurable(meter, settings) -> None:  # type: ignore[no-untyped-def]
    settings.METERING_OUTLIER_FACTOR = "5"
    reading = submit_readings(
        meter=meter, values={"T1": Decimal("13680"), "T2": Decimal("5720")}, channel="cabinet"
    )
    assert reading.review == ""


def test_no_outlier_without_enough_history(account) -> None:  # type: ignore[no-untyped-def]
    fresh = MeterFactory(account=account, digits=6)
    submit_readings(
        meter=fresh, values={"T1": Decimal(10)}, channel="cabinet", submitted_at=local(2026, 10, 20)
    )
    assert submit_readings(meter=fresh, values={"T1": Decimal(90000)}, channel="cabinet").review == ""


def test_staff_entering_a_reading_leaves_an_audit_event(meter, operator) -> None:  # type: ignore[no-untyped-def]
    reading = submit_readings(meter=meter, values=GOOD, channel=Channel.STAFF_PHONE, submitted_by=operator)
    event = AuditEvent.objects.get(object_type="metering.Reading", object_id=str(reading.pk))
    assert event.actor == operator and "staff_phone" in event.reason


def test_a_submission_takes_a_handful_of_queries(meter, customer, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_max_num_queries(8):
        submit_readings(meter=meter, values=GOOD, channel=Channel.CABINET, submitted_by=customer)


def test_a_changed_meter_makes_a_submission_that_read_it_before_read_again(meter) -> None:  # type: ignore[no-untyped-def]
    row, _ = sql.meter_and_history(meter.pk, 15)
    stale_copy = Meter.objects.get(pk=meter.pk)  # as the admin's form holds it
    submit_readings(meter=meter, values=GOOD, channel="cabinet")  # version 0 → 1
    stale_copy.location = "Подвал"
    stale_copy.save()  # moves the version on and never writes back the copy's older one
    meter.refresh_from_db()
    assert (meter.location, meter.readings_version) == ("Подвал", 2)
    late = Reading(meter=meter, period=datetime.date(2026, 12, 1), t1=Decimal(13500), t2=Decimal(5600),
                   submitted_at=NOW, channel="cabinet")  # fmt: skip
    assert sql.save(late, version=row.readings_version + 1, superseding=None, at=NOW, change=None) is None
