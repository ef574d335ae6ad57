"""The cabinet's readings pages: one form for all meters and zones, history, and who may do what."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from abonent.identity.models import AccountAccess
from abonent.metering import sql
from abonent.metering.models import Channel, Meter, Reading
from abonent.metering.services import record_telemetry
from tests.factories import AccountAccessFactory, MeterFactory, UserFactory
from tests.metering.conftest import local

pytestmark = pytest.mark.django_db

NOVEMBER = datetime.date(2026, 11, 1)


def form_url(account) -> str:  # type: ignore[no-untyped-def]
    return f"/cabinet/readings/{account.pk}/"


def test_anonymous_visitors_are_sent_to_sign_in(account) -> None:  # type: ignore[no-untyped-def]
    for path in ("/cabinet/readings/", form_url(account)):
        response = Client().get(path)
        assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_single_account_goes_straight_to_its_form(client_for, customer, account) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).get("/cabinet/readings/")
    assert response.status_code == 302 and response.url == form_url(account)


def test_the_form_shows_every_meter_and_zone_with_the_previous_reading(
    client_for, customer, meter, water_meter
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).get(form_url(meter.account))
    body = response.content.decode()
    assert response.status_code == 200
    for name in (f"meter-{meter.pk}-T1", f"meter-{meter.pk}-T2", f"meter-{water_meter.pk}-T1"):
        assert f'name="{name}"' in body
    assert body.count('inputmode="decimal"') == 3
    assert "13260" in body and "5540" in body and "20.10.2026" in body  # October's reading beside the inputs
    assert 'data-testid="window-status"' in body and "25" in body


def test_submitting_all_meters_at_once(client_for, customer, meter, water_meter) -> None:  # type: ignore[no-untyped-def]
    data = {
        f"meter-{meter.pk}-T1": "13 400,5",
        f"meter-{meter.pk}-T2": "5600",
        f"meter-{water_meter.pk}-T1": "366",
    }
    response = client_for(customer).post(form_url(meter.account), data, follow=True)
    assert response.redirect_chain[-1][0] == form_url(meter.account)
    november = Reading.objects.filter(period=NOVEMBER, superseded_at__isnull=True)
    assert {r.meter_id: r.values for r in november} == {
        meter.pk: {"T1": Decimal("13400.5"), "T2": Decimal("5600")},
        water_meter.pk: {"T1": Decimal("366")},
    }
    assert {r.channel for r in november} == {Channel.CABINET}
    assert {r.submitted_by for r in november} == {customer}
    assert "E100" in response.content.decode()  # the success message names the meter


def test_an_empty_meter_is_skipped(client_for, customer, meter, water_meter) -> None:  # type: ignore[no-untyped-def]
    client_for(customer).post(form_url(meter.account), {f"meter-{water_meter.pk}-T1": "366"})
    assert list(Reading.objects.filter(period=NOVEMBER).values_list("meter_id", flat=True)) == [
        water_meter.pk
    ]


def test_errors_stand_next_to_their_field_and_nothing_is_saved(
    client_for, customer, meter, water_meter
) -> None:  # type: ignore[no-untyped-def]
    data = {
        f"meter-{meter.pk}-T1": "13400",
        f"meter-{meter.pk}-T2": "5500",
        f"meter-{water_meter.pk}-T1": "12,3a",
    }
    response = client_for(customer).post(form_url(meter.account), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in body
    assert f'id="id_meter-{water_meter.pk}-T1_error"' in body  # the error list of the water field
    assert "12,3a" in body  # the typed text stays in the field
    assert not Reading.objects.filter(period=NOVEMBER).exists()
    # With the typo fixed, the zone error of the electricity meter shows, with the previous value and date.
    data[f"meter-{water_meter.pk}-T1"] = "366"
    body = client_for(customer).post(form_url(meter.account), data).content.decode()
    assert f'id="id_meter-{meter.pk}-T2_error"' in body and "5540" in body and "20.10.2026" in body
    assert 'aria-invalid="true"' in body
    assert not Reading.objects.filter(period=NOVEMBER).exists()


def test_a_meter_busy_with_other_submissions_is_said_beside_it_and_nothing_is_saved(
    client_for, customer, meter, water_meter, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sql, "save", lambda *args, **kwargs: None)  # every write loses its meter
    data = {f"meter-{meter.pk}-T1": "13400", f"meter-{meter.pk}-T2": "5600"}
    response = client_for(customer).post(form_url(meter.account), data)
    assert response.status_code == 200
    assert "сохраняются с другого устройства" in response.content.decode()  # Russian by default
    assert not Reading.objects.filter(period=NOVEMBER).exists()


def test_submitting_nothing_says_so(client_for, customer, meter) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).post(form_url(meter.account), {})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()


def test_a_flagged_reading_is_announced_as_being_checked(client_for, customer, meter) -> None:  # type: ignore[no-untyped-def]
    data = {f"meter-{meter.pk}-T1": "13680", f"meter-{meter.pk}-T2": "5720"}
    response = client_for(customer).post(form_url(meter.account), data, follow=True)
    assert response.status_code == 200
    assert Reading.objects.get(period=NOVEMBER).review == Reading.Review.PENDING
    assert "alert-warning" in response.content.decode()


def test_a_meter_with_expired_verification_shows_why_and_has_no_input(client_for, customer, meter) -> None:  # type: ignore[no-untyped-def]
    Meter.objects.filter(pk=meter.pk).update(next_verification_on=datetime.date(2026, 11, 1))
    body = client_for(customer).get(form_url(meter.account)).content.decode()
    assert f'name="meter-{meter.pk}-T1"' not in body
    assert "01.11.2026" in body


def test_a_removed_meter_shows_its_removal_day_and_last_reading_instead_of_inputs(
    client_for, customer, meter, water_meter
) -> None:  # type: ignore[no-untyped-def]
    Meter.objects.filter(pk=meter.pk).update(
        status=Meter.Status.DECOMMISSIONED, removed_on=datetime.date(2026, 11, 5)
    )
    body = client_for(customer).get(form_url(meter.account)).content.decode()
    card = body[body.index(f'data-testid="meter-{meter.pk}"') :].split("</fieldset>")[0]
    assert "снят 05.11.2026" in card
    assert 'inputmode="decimal"' not in card and "13260" in card  # the last reading, not a form
    assert f'name="meter-{water_meter.pk}-T1"' in body  # the other meter still takes readings


def test_a_meter_removed_long_ago_or_without_a_date_is_not_listed(client_for, customer, meter) -> None:  # type: ignore[no-untyped-def]
    Meter.objects.filter(pk=meter.pk).update(
        status=Meter.Status.DECOMMISSIONED, removed_on=datetime.date(2026, 6, 1)
    )
    old = MeterFactory(account=meter.account, status=Meter.Status.DECOMMISSIONED, serial_number="OLD-1")
    body = client_for(customer).get(form_url(meter.account)).content.decode()
    assert f'data-testid="meter-{meter.pk}"' not in body and f'data-testid="meter-{old.pk}"' not in body


def test_a_meter_removed_today_still_takes_its_final_reading(client_for, customer, meter) -> None:  # type: ignore[no-untyped-def]
    Meter.objects.filter(pk=meter.pk).update(
        status=Meter.Status.DECOMMISSIONED, removed_on=datetime.date(2026, 11, 20)
    )
    data = {f"meter-{meter.pk}-T1": "13400", f"meter-{meter.pk}-T2": "5600"}
    assert client_for(customer).post(form_url(meter.account), data).status_code == 302
    assert Reading.objects.filter(meter=meter, period=NOVEMBER).exists()


def test_the_tenant_may_submit(client_for, tenant, meter) -> None:  # type: ignore[no-untyped-def]
    data = {f"meter-{meter.pk}-T1": "13400", f"meter-{meter.pk}-T2": "5600"}
    assert client_for(tenant).post(form_url(meter.account), data).status_code == 302
    assert Reading.objects.get(period=NOVEMBER).submitted_by == tenant


def test_a_viewer_sees_the_readings_but_may_not_submit(client_for, meter) -> None:  # type: ignore[no-untyped-def]
    viewer = UserFactory()
    AccountAccessFactory(user=viewer, account=meter.account, role=AccountAccess.Role.VIEWER)
    client = client_for(viewer)
    page = client.get(form_url(meter.account))
    assert page.status_code == 200
    assert 'inputmode="decimal"' not in page.content.decode() and "13260" in page.content.decode()
    data = {f"meter-{meter.pk}-T1": "13400", f"meter-{meter.pk}-T2": "5600"}
    assert client.post(form_url(meter.account), data).status_code == 403
    assert not Reading.objects.filter(period=NOVEMBER).exists()


def test_the_stranger_gets_not_found_for_foreign_meters_and_accounts(client_for, stranger, meter) -> None:  # type: ignore[no-untyped-def]
    client = client_for(stranger)
    data = {f"meter-{meter.pk}-T1": "13400", f"meter-{meter.pk}-T2": "5600"}
    assert client.get(form_url(meter.account)).status_code == 404
    assert client.post(form_url(meter.account), data).status_code == 404
    assert client.get(f"/cabinet/readings/meters/{meter.pk}/").status_code == 404
    assert not Reading.objects.filter(period=NOVEMBER).exists()


def test_the_history_page_has_a_chart_and_a_table_with_last_year(client_for, customer, meter) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).get(f"/cabinet/readings/meters/{meter.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<svg class="chart"' in body and "<title id=" in body and "<desc id=" in body
    assert "<table" in body and "октябрь 2026" in body
    assert "+0 %" in body or "0 %" in body  # October 2026 against October 2025: 150 against 150


def test_the_history_page_shows_one_zone_on_request(client_for, customer, meter) -> None:  # type: ignore[no-untyped-def]
    body = client_for(customer).get(f"/cabinet/readings/meters/{meter.pk}/?zone=T2").content.decode()
    assert 'aria-current="page">' in body and ">45<" in body.replace(" ", "")


def test_days_and_hours_come_from_telemetry(client_for, customer, meter) -> None:  # type: ignore[no-untyped-def]
    start = local(2026, 11, 18, 0)
    record_telemetry(
        meter=meter,
        samples=[(start + datetime.timedelta(hours=n), Decimal("0.5")) for n in range(48)],
    )
    client = client_for(customer)
    days = client.get(f"/cabinet/readings/meters/{meter.pk}/?scale=day&period=2026-11").content.decode()
    assert "18 ноября" in days and ">12<" in days.replace(" ", "").replace(",0", "")  # 24 hours × 0.5
    hours = client.get(f"/cabinet/readings/meters/{meter.pk}/?scale=hour&day=2026-11-19").content.decode()
    assert "23:00–24:00" in hours


def test_the_form_page_needs_few_queries(
    client_for, customer, meter, water_meter, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    with django_assert_max_num_queries(14):
        assert client.get(form_url(meter.account)).status_code == 200
