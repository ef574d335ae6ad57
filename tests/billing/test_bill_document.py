"""The bill's canonical data for the documents area: exactly the contract, from the charge run's bill."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.utils import timezone
from pypdf import PdfReader

from abonent.billing.models import Bill
from abonent.billing.selectors import bill_document_data
from abonent.billing.services.charge_run import run_pending_chunks, start_charge_run
from abonent.billing.services.qr import parse_payload
from abonent.customers.models import Resource
from abonent.documents.composition import bill_document
from abonent.documents.selectors import render_document
from abonent.metering.models import Reading
from tests.billing.charge_setup import OCTOBER, add_reading, build_example
from tests.factories import MeterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bill(account) -> Bill:
    build_example(account)
    run_pending_chunks(run=start_charge_run(branch=account.branch, period=OCTOBER, enqueue=False))
    return Bill.objects.get(account=account)


def test_document_data_follows_the_contract(bill, account):
    data = bill_document_data(bill=bill)
    json.dumps(data)  # serialisable as it is
    assert set(data) == {
        "kind", "schema", "number", "period", "issued_on", "due_date", "supplier", "payer", "totals",
        "lines", "readings", "penalty_lines", "notices", "qr_payload",
    }  # fmt: skip
    assert (data["kind"], data["schema"], data["period"]) == ("bill", 1, "2026-10")
    assert data["issued_on"] == "2026-11-01" and data["due_date"] == bill.due_date.isoformat()
    organisation = account.branch.organisation
    assert data["supplier"]["inn"] == organisation.inn
    assert set(data["supplier"]["bank"]) == {"name", "bik", "account", "correspondent_account"}
    assert data["payer"] == {
        "name": account.customer.display_name,
        "account_number": account.number,
        "address": str(account.premises),
        "kind": "individual",
    }
    assert data["totals"] == {
        "opening_balance": "0.00",
        "charged": "3470.50",
        "recalculated": "0.00",
        "benefits": "1250.00",
        "paid": "0.00",
        "penalties": "0.00",
        "due": "2220.50",
    }
    heating = next(line for line in data["lines"] if line["service"] == "Отопление")
    assert heating == {
        "service": "Отопление",
        "unit": "Gcal",
        "zone": "T",
        "volume": "1.000",
        "tariff": "2500.0000",
        "charged": "2500.00",
        "recalculated": "0.00",
        "benefits": "1250.00",
        "total": "1250.00",
        "basis": "norm",
    }
    assert data["readings"] == [
        {
            "meter": data["readings"][0]["meter"],
            "zone": "T",
            "previous": "1000.000",
            "current": "1150.000",
            "volume": "150.000",
        }
    ]
    assert data["penalty_lines"] == []
    assert "25.11.2026" in data["notices"][0] or "11.2026" in data["notices"][0]


def test_qr_payload_pays_the_amount_due_to_the_supplier(bill, account):
    payload = parse_payload(bill_document_data(bill=bill)["qr_payload"].encode("utf-8"))
    assert payload.fields["Sum"] == "222050"
    assert payload.fields["PersAcc"] == account.number
    assert payload.fields["PaymPeriod"] == "102026"
    assert payload.fields["PersonalAcc"] == account.branch.organisation.bank_account


def test_bill_pdf_names_the_sides_of_a_meter_removal_as_the_bill_page_does(client_for, customer, account):
    """Electricity meter removed 10.10 at its October reading (too little history for an average), a new
    one installed 20.10 at 0 reading 30 on 24.10: 1–10 October by the old meter, 11–19 by the norm (no
    meter measured them), 20–31 by the new meter. The PDF's lines say so, in the bill page's words.
    """
    example = build_example(account)
    old = example.power_meter
    old.status, old.removed_on, old.installed_on = (
        "decommissioned",
        OCTOBER.day(10),
        datetime.date(2020, 1, 1),
    )
    old.save(update_fields=["status", "removed_on", "installed_on"])
    new = MeterFactory(
        account=account, resource=Resource.ELECTRICITY, zones=1, digits=6, installed_on=OCTOBER.day(20)
    )
    installed = timezone.make_aware(datetime.datetime.combine(OCTOBER.day(20), datetime.time(11)))
    Reading.objects.create(
        meter=new,
        period=OCTOBER.start,
        t1=0,
        submitted_at=installed,
        superseded_at=installed,
        channel="staff_phone",
    )
    add_reading(new, OCTOBER, "30")
    run_pending_chunks(run=start_charge_run(branch=account.branch, period=OCTOBER, enqueue=False))
    bill = Bill.objects.get(account=account)

    pdf = render_document(document=bill_document(bill=bill))
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    page = " ".join(client_for(customer).get(f"/cabinet/bills/{bill.pk}/").content.decode().split())
    for label in (
        "по счётчику до снятия 10.10.2026",
        "по нормативу после снятия счётчика",
        "по новому счётчику после снятия прежнего",
    ):
        assert label in text, label
        assert label in page, label
