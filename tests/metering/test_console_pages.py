"""The console's metering pages: readings taken by phone, full history, the review queue, IVR PINs."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from abonent.core.models import AuditEvent
from abonent.metering.models import Channel, IvrPin, Meter, Reading
from abonent.metering.services import submit_readings
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

NOVEMBER = datetime.date(2026, 11, 1)


def account_url(account) -> str:  # type: ignore[no-untyped-def]
    return f"/console/metering/accounts/{account.pk}/"


def test_customers_and_visitors_are_kept_out(client_for, customer, account) -> None:  # type: ignore[no-untyped-def]
    assert Client().get(account_url(account)).status_code == 302
    assert client_for(customer).get(account_url(account)).status_code == 302  # to the staff sign-in


def test_the_operator_enters_a_reading_taken_by_phone(client_for, operator, meter) -> None:  # type: ignore[no-untyped-def]
    client = client_for(operator)
    page = client.get(account_url(meter.account))
    assert page.status_code == 200 and 'value="2026-11-20"' in page.content.decode()
    data = {"taken_on": "2026-11-19", f"meter-{meter.pk}-T1": "13400", f"meter-{meter.pk}-T2": "5600"}
    assert client.post(account_url(meter.account), data).status_code == 302
    reading = Reading.objects.get(period=NOVEMBER)
    assert (reading.channel, reading.submitted_by) == (Channel.STAFF_PHONE, operator)
    assert reading.submitted_at.date() == datetime.date(2026, 11, 19)
    assert AuditEvent.objects.filter(actor=operator, object_type="metering.Reading").exists()
    assert AuditEvent.objects.filter(actor=operator, action="view", object_id=str(meter.account_id)).exists()


def test_a_future_date_is_refused_next_to_the_meter(client_for, operator, meter) -> None:  # type: ignore[no-untyped-def]
    data = {"taken_on": "2026-11-28", f"meter-{meter.pk}-T1": "13400", f"meter-{meter.pk}-T2": "5600"}
    response = client_for(operator).post(account_url(meter.account), data)
    assert response.status_code == 200 and "28.11.2026" in response.content.decode()
    assert not Reading.objects.exists() or not Reading.objects.filter(period__gte=NOVEMBER).exists()


def test_staff_of_another_branch_get_not_found(client_for, meter, other_account) -> None:  # type: ignore[no-untyped-def]
    outsider = client_for(StaffUserFactory(staff_role="operator", branch=other_account.branch))
    assert outsider.get(account_url(meter.account)).status_code == 404
    assert outsider.get(f"/console/metering/meters/{meter.pk}/").status_code == 404
    data = {"taken_on": "2026-11-20", f"meter-{meter.pk}-T1": "13400", f"meter-{meter.pk}-T2": "5600"}
    assert outsider.post(account_url(meter.account), data).status_code == 404
    assert not Reading.objects.filter(period=NOVEMBER).exists()


def test_the_meter_page_shows_superseded_submissions(client_for, operator, meter, clock) -> None:  # type: ignore[no-untyped-def]
    submit_readings(meter=meter, values={"T1": 13500, "T2": 5600}, channel="cabinet")
    clock.tick(datetime.timedelta(hours=1))
    submit_readings(meter=meter, values={"T1": 13450, "T2": 5600}, channel="ivr")
    body = client_for(operator).get(f"/console/metering/meters/{meter.pk}/").content.decode()
    assert body.count('class="reading-superseded"') == 1
    assert "13500" in body and "13450" in body


def test_the_review_queue_confirms_and_rejects(client_for, operator, meter, water_meter) -> None:  # type: ignore[no-untyped-def]
    high = submit_readings(meter=meter, values={"T1": 13680, "T2": 5720}, channel="cabinet")
    odd = submit_readings(meter=water_meter, values={"T1": 400}, channel="cabinet")
    client = client_for(operator)
    queue = client.get("/console/metering/review/").content.decode()
    assert "E100" in queue and "W200" in queue
    client.post(f"/console/metering/meters/{meter.pk}/review/", {"reading": high.pk, "decision": "confirm"})
    client.post(
        f"/console/metering/meters/{water_meter.pk}/review/", {"reading": odd.pk, "decision": "reject"}
    )
    high.refresh_from_db()
    odd.refresh_from_db()
    assert high.review == Reading.Review.CONFIRMED and high.is_current
    assert odd.review == Reading.Review.REJECTED and not odd.is_current
    # A rejection changes what counts: a submission that read the water meter before must read again.
    versions = dict(
        Meter.objects.filter(pk__in=[meter.pk, water_meter.pk]).values_list("pk", "readings_version")
    )
    assert versions == {meter.pk: 1, water_meter.pk: 2}
    assert "E100" not in client.get("/console/metering/review/").content.decode()
    # A second decision on the same reading is refused, not applied twice.
    response = client.post(
        f"/console/metering/meters/{meter.pk}/review/",
        {"reading": high.pk, "decision": "reject"},
        follow=True,
    )
    high.refresh_from_db()
    assert high.review == Reading.Review.CONFIRMED and "alert-error" in response.content.decode()


def test_a_reading_of_another_meter_cannot_be_reviewed_through_this_one(
    client_for, operator, meter, water_meter
) -> None:  # type: ignore[no-untyped-def]
    odd = submit_readings(meter=water_meter, values={"T1": 400}, channel="cabinet")
    client_for(operator).post(
        f"/console/metering/meters/{meter.pk}/review/", {"reading": odd.pk, "decision": "reject"}
    )
    odd.refresh_from_db()
    assert odd.review == Reading.Review.PENDING


def test_issuing_an_ivr_pin_shows_it_once(client_for, operator, account) -> None:  # type: ignore[no-untyped-def]
    response = client_for(operator).post(f"/console/metering/accounts/{account.pk}/ivr-pin/", follow=True)
    stored = IvrPin.objects.get(account=account)
    assert response.status_code == 200
    shown = next(m.message for m in response.context["messages"])
    pin = next(word for word in shown.replace(".", " ").split() if word.isdigit() and len(word) == 4)
    assert pin not in stored.pin_hash
    assert AuditEvent.objects.filter(actor=operator, reason="IVR PIN set").exists()


def test_the_account_card_shows_when_a_meter_was_removed(client_for, operator, meter, water_meter) -> None:  # type: ignore[no-untyped-def]
    Meter.objects.filter(pk=meter.pk).update(
        status=Meter.Status.DECOMMISSIONED, removed_on=datetime.date(2026, 11, 5)
    )
    body = client_for(operator).get(f"/console/accounts/{meter.account_id}/").content.decode()
    assert body.count('data-testid="meter-removed"') == 1 and "снят 05.11.2026" in body
    meter_page = client_for(operator).get(f"/console/metering/meters/{meter.pk}/").content.decode()
    assert "05.11.2026" in meter_page
