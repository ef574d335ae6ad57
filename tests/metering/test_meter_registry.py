"""save_meter: the register's truth about a meter, its removal date included, with the audit of each change.

The clock of tests/metering stands at 20 November 2026.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction

from abonent.core.models import AuditEvent
from abonent.metering.errors import RemovalDateOnActiveMeter, RemovedBeforeInstallation
from abonent.metering.models import Meter
from abonent.metering.services import MeterDetails, save_meter

pytestmark = pytest.mark.django_db

INSTALLED = datetime.date(2024, 2, 1)
REMOVED = datetime.date(2026, 11, 5)
TODAY = datetime.date(2026, 11, 20)


def details(**changes: object) -> MeterDetails:
    given: dict[str, object] = {
        "resource": "electricity",
        "serial_number": "R-1",
        "installed_on": INSTALLED,
        "next_verification_on": datetime.date(2032, 2, 1),
    }
    return MeterDetails(**{**given, **changes})  # type: ignore[arg-type]  # test data by keyword


def saved(account, **changes: object) -> tuple[Meter, str]:  # type: ignore[no-untyped-def]
    return save_meter(account=account, details=details(**changes), reason="test register")


def test_a_removal_stores_its_date_and_audits_it(account) -> None:  # type: ignore[no-untyped-def]
    saved(account)

    meter, outcome = saved(account, status=Meter.Status.DECOMMISSIONED, removed_on=REMOVED)

    assert outcome == "updated"
    assert (meter.status, Meter.objects.get(pk=meter.pk).removed_on) == ("decommissioned", REMOVED)
    change = AuditEvent.objects.get(object_id=str(meter.pk), action=AuditEvent.Action.UPDATE)
    assert change.changes["removed_on"] == ["None", "2026-11-05"]


def test_a_removal_without_a_date_is_dated_the_day_it_is_learnt(account) -> None:  # type: ignore[no-untyped-def]
    saved(account)

    meter, _ = saved(account, status=Meter.Status.DECOMMISSIONED)

    assert Meter.objects.get(pk=meter.pk).removed_on == TODAY


def test_a_known_removal_date_is_kept_when_the_register_repeats_the_status_only(account) -> None:  # type: ignore[no-untyped-def]
    saved(account, status=Meter.Status.DECOMMISSIONED, removed_on=REMOVED)

    meter, outcome = saved(account, status=Meter.Status.DECOMMISSIONED)

    assert outcome == "unchanged" and Meter.objects.get(pk=meter.pk).removed_on == REMOVED


def test_a_meter_first_registered_as_removed_gets_no_invented_date(account) -> None:  # type: ignore[no-untyped-def]
    meter, _ = saved(account, status=Meter.Status.DECOMMISSIONED)

    assert Meter.objects.get(pk=meter.pk).removed_on is None


def test_a_meter_back_in_service_loses_its_removal_date(account) -> None:  # type: ignore[no-untyped-def]
    saved(account, status=Meter.Status.DECOMMISSIONED, removed_on=REMOVED)

    meter, outcome = saved(account)

    assert outcome == "updated"
    assert (meter.status, Meter.objects.get(pk=meter.pk).removed_on) == ("active", None)
    change = AuditEvent.objects.filter(object_id=str(meter.pk), action=AuditEvent.Action.UPDATE).get()
    assert change.changes["removed_on"] == ["2026-11-05", "None"]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"removed_on": REMOVED}, RemovalDateOnActiveMeter),
        (
            {"status": Meter.Status.DECOMMISSIONED, "removed_on": datetime.date(2024, 1, 31)},
            RemovedBeforeInstallation,
        ),
    ],
)
def test_a_removal_date_that_cannot_be_is_refused(account, changes, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        saved(account, **changes)
    assert not Meter.objects.exists()


def test_the_database_keeps_removal_dates_to_removed_meters(account) -> None:  # type: ignore[no-untyped-def]
    meter, _ = saved(account)
    with pytest.raises(IntegrityError), transaction.atomic():
        Meter.objects.filter(pk=meter.pk).update(removed_on=REMOVED)  # still "active"
    with pytest.raises(IntegrityError), transaction.atomic():
        Meter.objects.filter(pk=meter.pk).update(
            status="decommissioned", removed_on=datetime.date(2020, 1, 1)
        )
