"""The metering API: meters of an account, history, submission with JSON errors, and who may do what."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator

import pytest
from django.test import Client
from freezegun import freeze_time

from abonent.identity.models import AccountAccess
from abonent.identity.services import issue_api_token
from abonent.metering import sql
from abonent.metering.models import Channel, Reading
from tests.factories import AccountAccessFactory, UserFactory
from tests.metering.conftest import NOW, cold_water_meter, electricity_meter, local

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with freeze_time(NOW):  # 20 November 2026, inside the readings window
        yield


@pytest.fixture
def meter(account):  # type: ignore[no-untyped-def]
    return electricity_meter(account)


@pytest.fixture
def water_meter(account):  # type: ignore[no-untyped-def]
    return cold_water_meter(account)


NOVEMBER = datetime.date(2026, 11, 1)


def post(client: Client, path: str, payload: dict) -> object:
    return client.post(path, data=json.dumps(payload), content_type="application/json")


def test_meters_of_an_account_with_last_readings_and_window(client_for, customer, meter, water_meter) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).get(f"/api/v1/metering/accounts/{meter.account_id}/meters")
    assert response.status_code == 200
    body = response.json()
    assert body["window"]["period"] == "2026-11" and body["window"]["state"] == "open"
    assert body["window"]["days_left"] == 6
    electricity = next(m for m in body["meters"] if m["id"] == meter.pk)
    assert electricity["zones"] == ["T1", "T2"] and electricity["accepts_readings"] is True
    assert electricity["previous"]["values"] == {"T1": "13260.000", "T2": "5540.000"}
    assert electricity["previous"]["period"] == "2026-10" and electricity["current"] is None


def test_history_newest_first(client_for, customer, meter) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).get(f"/api/v1/metering/meters/{meter.pk}/readings?limit=3")
    assert [item["period"] for item in response.json()] == ["2026-10", "2026-09", "2026-08"]


def test_submit_returns_the_reading(client_for, customer, meter) -> None:  # type: ignore[no-untyped-def]
    response = post(
        client_for(customer),
        f"/api/v1/metering/meters/{meter.pk}/readings",
        {"values": {"T1": "13400.5", "T2": 5600}},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reading"]["period"] == "2026-11" and body["reading"]["counts"] is True
    assert body["flagged"] is False
    reading = Reading.objects.get(pk=body["reading"]["id"])
    assert (reading.channel, reading.submitted_by) == (Channel.API, customer)


def test_errors_come_back_as_json_with_codes_per_zone(client_for, customer, meter) -> None:  # type: ignore[no-untyped-def]
    response = post(
        client_for(customer),
        f"/api/v1/metering/meters/{meter.pk}/readings",
        {"values": {"T1": "13000", "T2": "9999999"}},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "readings_rejected"
    assert {(e["zone"], e["code"]) for e in body["errors"]} == {
        ("T1", "lower_than_previous"),
        ("T2", "too_many_digits"),
    }
    assert "13260" in body["detail"]


def test_a_meter_busy_with_other_submissions_answers_409(client_for, customer, meter, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sql, "save", lambda *args, **kwargs: None)  # every write loses its meter
    response = post(
        client_for(customer),
        f"/api/v1/metering/meters/{meter.pk}/readings",
        {"values": {"T1": 13400, "T2": 5600}},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "meter_busy"


def test_a_flagged_reading_says_so(client_for, customer, meter) -> None:  # type: ignore[no-untyped-def]
    response = post(
        client_for(customer),
        f"/api/v1/metering/meters/{meter.pk}/readings",
        {"values": {"T1": "13680", "T2": "5720"}},
    )
    assert response.status_code == 201 and response.json()["flagged"] is True


def test_customers_cannot_backdate_staff_integrations_can(client_for, customer, operator, meter) -> None:  # type: ignore[no-untyped-def]
    payload = {"values": {"T1": "13300", "T2": "5560"}, "submitted_at": local(2026, 10, 25).isoformat()}
    mine = post(client_for(customer), f"/api/v1/metering/meters/{meter.pk}/readings", payload).json()
    assert mine["reading"]["period"] == "2026-11"  # the date was ignored
    _, raw = issue_api_token(user=operator, name="controllers", scopes=[])
    staff = Client().post(
        f"/api/v1/metering/meters/{meter.pk}/readings",
        data=json.dumps(payload),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert staff.status_code == 201 and staff.json()["reading"]["period"] == "2026-10"


def test_the_tenant_may_submit(client_for, tenant, meter) -> None:  # type: ignore[no-untyped-def]
    response = post(
        client_for(tenant),
        f"/api/v1/metering/meters/{meter.pk}/readings",
        {"values": {"T1": "13400", "T2": "5600"}},
    )
    assert response.status_code == 201


def test_a_viewer_may_read_but_not_submit(client_for, meter) -> None:  # type: ignore[no-untyped-def]
    viewer = UserFactory()
    AccountAccessFactory(user=viewer, account=meter.account, role=AccountAccess.Role.VIEWER)
    client = client_for(viewer)
    assert client.get(f"/api/v1/metering/meters/{meter.pk}/readings").status_code == 200
    response = post(
        client, f"/api/v1/metering/meters/{meter.pk}/readings", {"values": {"T1": "13400", "T2": "5600"}}
    )
    assert response.status_code == 403 and response.json()["code"] == "action_not_allowed"
    assert not Reading.objects.filter(period=NOVEMBER).exists()


def test_the_stranger_gets_not_found_everywhere(client_for, stranger, meter) -> None:  # type: ignore[no-untyped-def]
    client = client_for(stranger)
    for path in (
        f"/api/v1/metering/accounts/{meter.account_id}/meters",
        f"/api/v1/metering/meters/{meter.pk}/readings",
        f"/api/v1/metering/meters/{meter.pk}/consumption",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert meter.account.number not in response.content.decode()
    response = post(
        client, f"/api/v1/metering/meters/{meter.pk}/readings", {"values": {"T1": "13400", "T2": "5600"}}
    )
    assert response.status_code == 404 and response.json()["code"] == "meter_not_found"
    assert client.get("/api/v1/metering/meters/999999/readings").json()["code"] == "meter_not_found"


def test_consumption_by_month_with_last_year(client_for, customer, meter) -> None:  # type: ignore[no-untyped-def]
    rows = client_for(customer).get(f"/api/v1/metering/meters/{meter.pk}/consumption").json()
    assert len(rows) == 13
    assert rows[-1] == {
        "period": "2026-10",
        "consumption": "150.000",
        "by_zone": {"T1": "105.000", "T2": "45.000"},
        "months": 1,
        "last_year": "150.000",
    }


def test_a_removed_meter_carries_its_removal_day(client_for, customer, meter, water_meter) -> None:  # type: ignore[no-untyped-def]
    water_meter.status, water_meter.removed_on = "decommissioned", datetime.date(2026, 11, 18)
    water_meter.save(update_fields=["status", "removed_on"])
    body = client_for(customer).get(f"/api/v1/metering/accounts/{meter.account_id}/meters").json()
    by_id = {m["id"]: m for m in body["meters"]}
    assert by_id[water_meter.pk]["removed_on"] == "2026-11-18"
    assert by_id[water_meter.pk]["status"] == "decommissioned"
    assert by_id[water_meter.pk]["accepts_readings"] is False
    assert by_id[meter.pk]["removed_on"] is None


def test_anonymous_calls_are_refused(meter) -> None:  # type: ignore[no-untyped-def]
    assert Client().get(f"/api/v1/metering/meters/{meter.pk}/readings").status_code == 401


def test_the_operations_are_in_the_schema() -> None:
    paths = Client().get("/api/openapi.json").json()["paths"]
    assert "/api/v1/metering/meters/{meter_id}/readings" in paths
    assert "/api/v1/metering/ivr" in paths


def test_the_meter_schema_names_the_removal_day() -> None:
    schemas = Client().get("/api/openapi.json").json()["components"]["schemas"]
    removed_on = schemas["MeterOut"]["properties"]["removed_on"]
    assert "removed" in removed_on["description"]
    assert {"type": "string", "format": "date"} in removed_on["anyOf"]
