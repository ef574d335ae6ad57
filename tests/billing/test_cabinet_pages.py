"""The cabinet's bills (list, detail with the calculation, QR and explanation), the charge preview
fragment of the readings form, and the billing API — each with the stranger persona."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from freezegun import freeze_time

from abonent.billing.models import Bill
from abonent.billing.services.charge_run import run_pending_chunks, start_charge_run
from abonent.identity.models import AccountAccess
from tests.billing.charge_setup import OCTOBER, build_example
from tests.factories import AccountAccessFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def example(account):
    example = build_example(account)
    run_pending_chunks(run=start_charge_run(branch=account.branch, period=OCTOBER, enqueue=False))
    return example


@pytest.fixture
def bill(example, account) -> Bill:
    return Bill.objects.get(account=account)


def test_customer_and_tenant_see_the_bill_list(client_for, customer, tenant, account, bill):
    for user in (customer, tenant):
        page = client_for(user).get(f"/cabinet/bills/accounts/{account.pk}/")
        html = page.content.decode()
        assert page.status_code == 200
        assert f"/cabinet/bills/{bill.pk}/" in html and "2\u202f220,50\u00a0₽" in html
    assert client_for(customer).get("/cabinet/bills/").url == f"/cabinet/bills/accounts/{account.pk}/"


def test_viewer_sees_bills_too(client_for, account, bill):
    viewer = UserFactory()
    AccountAccessFactory(user=viewer, account=account, role=AccountAccess.Role.VIEWER)
    assert client_for(viewer).get(f"/cabinet/bills/{bill.pk}/").status_code == 200


def test_stranger_gets_not_found_everywhere(client_for, stranger, account, bill):
    client = client_for(stranger)
    for url in (
        f"/cabinet/bills/accounts/{account.pk}/",
        f"/cabinet/bills/{bill.pk}/",
        f"/cabinet/bills/preview/{account.pk}/?meter-1-T1=5",
        f"/api/v1/billing/accounts/{account.pk}/bills",
        f"/api/v1/billing/bills/{bill.pk}",
        f"/api/v1/billing/bills/{bill.pk}/explanation",
    ):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert account.number not in answer.content.decode()
    # The stranger's own bill list is empty, not the victim's.
    assert account.number not in client.get("/cabinet/bills/", follow=True).content.decode()


def test_bill_detail_shows_lines_qr_readings_and_explanation(client_for, customer, bill, example):
    html = client_for(customer).get(f"/cabinet/bills/{bill.pk}/").content.decode()
    assert "<svg" in html and "Отопление" in html and "по нормативу" in html
    assert "1150" in html  # the reading used
    assert "Почему этот счёт отличается" in html
    assert "documents: the" not in html  # the PDF link's place is a template comment


def test_preview_fragment_shows_the_cost_of_typed_readings(client_for, customer, account, example):
    example.power_meter.readings.filter(period=OCTOBER.start).delete()
    with freeze_time("2026-10-20 09:00:00+05:00"):
        fragment = client_for(customer).get(
            f"/cabinet/bills/preview/{account.pk}/",
            {f"meter-{example.power_meter.pk}-T1": "1 150,0", "junk": "x"},
        )
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in html
    assert "820,50" in html and "Электроснабжение" in html
    with freeze_time("2026-10-20 09:00:00+05:00"):
        empty = client_for(customer).get(
            f"/cabinet/bills/preview/{account.pk}/", {f"meter-{example.power_meter.pk}-T1": "abc"}
        )
    assert empty.content.decode().strip() == ""


def test_readings_form_includes_the_preview(client_for, customer, account, example):
    with freeze_time("2026-11-20 09:00:00+05:00"):
        html = client_for(customer).get(f"/cabinet/readings/{account.pk}/").content.decode()
    assert f'hx-get="/cabinet/bills/preview/{account.pk}/"' in html


def test_api_lists_bills_returns_data_explanation_and_preview(client_for, customer, account, bill, example):
    client = client_for(customer)
    listed = client.get(f"/api/v1/billing/accounts/{account.pk}/bills").json()
    assert [(b["number"], b["total_due"]) for b in listed] == [(bill.number, "2220.50")]
    data = client.get(f"/api/v1/billing/bills/{bill.pk}").json()
    assert data["kind"] == "bill" and data["totals"]["due"] == "2220.50"
    assert client.get(f"/api/v1/billing/bills/{bill.pk}/explanation").json()["reasons"] == []
    example.power_meter.readings.filter(period=OCTOBER.start).delete()
    with freeze_time("2026-10-20 09:00:00+05:00"):
        preview = client.post(
            f"/api/v1/billing/accounts/{account.pk}/charge-preview",
            json.dumps({"readings": {str(example.power_meter.pk): {"T1": "1150"}}}),
            content_type="application/json",
        )
    assert preview.status_code == 200, preview.content
    assert preview.json()["total"] == "820.50" and preview.json()["period"] == "2026-10"
    assert Decimal(preview.json()["lines"][0]["volume"]) == Decimal("150")
    assert datetime.date.fromisoformat(listed[0]["due_date"]) == bill.due_date


def test_bill_detail_names_the_sides_of_a_meter_removal(client_for, customer, account):
    """Electricity meter removed 10.10 at its October reading, no replacement and too little history for
    an average: 1–10 October by the meter, 11–31 by the norm."""
    example = build_example(account)
    example.power_meter.status, example.power_meter.removed_on = "decommissioned", datetime.date(2026, 10, 10)
    example.power_meter.installed_on = datetime.date(2020, 1, 1)
    example.power_meter.save(update_fields=["status", "removed_on", "installed_on"])
    run_pending_chunks(run=start_charge_run(branch=account.branch, period=OCTOBER, enqueue=False))
    bill = Bill.objects.get(account=account)
    html = client_for(customer).get(f"/cabinet/bills/{bill.pk}/").content.decode()
    assert "по счётчику до снятия 10.10.2026" in html
    assert "по нормативу после снятия счётчика" in html
