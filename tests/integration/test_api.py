"""The integration API: scoped tokens per source, bulk upserts with reports, the change feed; schemathesis."""

from __future__ import annotations

import pytest
import schemathesis
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from hypothesis import HealthCheck, settings

from abonent.config.wsgi import application
from abonent.customers.models import Account, Contact, SyncEvent
from abonent.customers.services import set_paper_bill, update_contact
from abonent.identity.services import issue_api_token
from abonent.integration.api_services import scope_name
from abonent.integration.models import ImportRun, SourceSystem
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/integration/sources"


@pytest.fixture
def token_for(db):
    def issue(source: SourceSystem, *scopes: str) -> dict[str, str]:
        user = StaffUserFactory()
        _token, raw = issue_api_token(
            user=user, name="billing", scopes=[scope_name(source.code, s) for s in scopes]
        )
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return issue


ROWS = [
    {
        "external_id": "K1",
        "full_name": "ПЕТРОВ  Иван Сергеевич",
        "birth_date": "05.11.1970",
        "phone": "8 912 111-22-33",
        "email": "",
        "account_number": "7700000001",
        "settlement": "г. Екатеринбург",
        "street": "Ленина",
        "house": "5",
        "flat": "12",
        "area": "54,3",
    },
    {
        "external_id": "K2",
        "full_name": "Сидорова Анна",
        "inn": "500100732250",
        "account_number": "7700000002",
        "street": "Мира",
        "house": "1",
    },
]


def test_a_batch_is_cleaned_applied_and_reported(source, token_for):
    headers = token_for(source, "import")
    response = Client().post(
        f"{BASE}/legacy/imports/accounts", {"rows": ROWS}, content_type="application/json", **headers
    )

    assert response.status_code == 200, response.content
    report = response.json()
    assert (report["rows"], report["applied"], report["quarantined"]) == (2, 1, 1)
    assert report["quarantine"] == [{"row": 1, "key": "7700000002", "reasons": ["inn_invalid:inn"]}]
    assert report["rules"]["phone_normalised"] == 1
    customer = Account.objects.get(number="7700000001").customer
    assert (customer.last_name, customer.first_name) == ("Петров", "Иван")
    assert Contact.objects.get(customer=customer).value == "+79121112233"

    again = Client().post(
        f"{BASE}/legacy/imports/accounts", {"rows": ROWS}, content_type="application/json", **headers
    )
    assert again.json()["unchanged"] == 1 and again.json()["applied"] == 0
    report_again = Client().get(f"{BASE}/legacy/runs/{again.json()['id']}", **headers).json()
    assert report_again["unchanged"] == 1


def test_tokens_are_scoped_per_source_and_purpose(source, token_for, branch):
    other = SourceSystem.objects.create(code="other", name="Другой", branch=branch)
    for headers, path, expected in (
        (token_for(other, "import"), f"{BASE}/legacy/imports/accounts", 403),
        (token_for(source, "sync"), f"{BASE}/legacy/imports/accounts", 403),
        (token_for(source, "import"), f"{BASE}/nosuch/imports/accounts", 404),
        ({"HTTP_AUTHORIZATION": "Bearer wrong"}, f"{BASE}/legacy/imports/accounts", 401),
    ):
        response = Client().post(path, {"rows": ROWS}, content_type="application/json", **headers)
        assert response.status_code == expected, (path, response.content)
    assert not ImportRun.objects.exists()
    unknown = Client().post(
        f"{BASE}/legacy/imports/accounts", {"rows": [{"colour": "red"}]}, content_type="application/json",
        **token_for(source, "import"),
    )  # fmt: skip
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_fields"


def test_changes_are_pulled_at_least_once_until_acknowledged(source, token_for, account, customer):
    headers = token_for(source, "sync")
    update_contact(customer=account.customer, kind="email", value="New@Example.com", changed_by=customer)
    set_paper_bill(customer=account.customer, paper_bill=False, changed_by=customer)

    first = Client().get(f"{BASE}/legacy/changes", **headers).json()
    topics = [c["topic"] for c in first["changes"]]
    assert topics == ["contact.changed", "paper_bill.changed"]
    assert first["changes"][0]["payload"] == {"kind": "email", "value": "new@example.com"}
    again = Client().get(f"{BASE}/legacy/changes", **headers).json()
    assert [c["id"] for c in again["changes"]] == [c["id"] for c in first["changes"]]  # not acknowledged yet

    ack = Client().post(
        f"{BASE}/legacy/changes/ack",
        {"cursor": first["changes"][0]["id"]},
        content_type="application/json",
        **headers,
    )
    assert ack.json() == {"acknowledged": first["changes"][0]["id"]}
    rest = Client().get(f"{BASE}/legacy/changes", **headers).json()
    assert [c["topic"] for c in rest["changes"]] == ["paper_bill.changed"]
    assert SyncEvent.objects.count() == 2


# Loaded at collection through the WSGI app itself: the same schema the API serves.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application).include(path_regex="/integration/")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_integration_api_never_fails_with_a_server_error(case, source, token_for, monkeypatch):
    # The WSGI handler closes stale database connections around each request, as a server must; in a
    # test that connection holds the test's transaction, so it is kept (as Django's test client does).
    monkeypatch.setattr(BaseDatabaseWrapper, "close_if_unusable_or_obsolete", lambda self: None)
    headers = token_for(source, "import", "sync")
    case.call_and_validate(
        headers={"Authorization": headers["HTTP_AUTHORIZATION"]},
        checks=[schemathesis.checks.not_a_server_error],
    )
