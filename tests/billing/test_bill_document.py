"""The bill's canonical data for the documents area: exactly the contract, from the charge run's bill."""

from __future__ import annotations

import json

import pytest

from abonent.billing.models import Bill
from abonent.billing.selectors import bill_document_data
from abonent.billing.services.charge_run import run_pending_chunks, start_charge_run
from abonent.billing.services.qr import parse_payload
from tests.billing.charge_setup import OCTOBER, build_example

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
