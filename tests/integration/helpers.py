"""Objects of the integration area that name a victim's data (tests/test_access_leaks.py); index names."""

from __future__ import annotations

from abonent.core.bulk import secondary_index_definitions
from abonent.customers.models import Account, Contact, Customer, CustomerMerge, DuplicateCandidate, Premises
from abonent.integration.models import ImportProfile, ImportRun, QuarantinedRow, SourceSystem
from tests.factories import CustomerFactory


def run_on(account: Account) -> ImportRun:
    source, _ = SourceSystem.objects.get_or_create(
        code="leak", defaults={"name": "leak", "branch": account.branch}
    )
    profile, _ = ImportProfile.objects.get_or_create(source=source, name="accounts", kind="accounts")
    run = ImportRun.objects.create(
        profile=profile, kind="accounts", channel="upload", file_path="/nonexistent", file_name="x.csv"
    )
    QuarantinedRow.objects.create(
        run=run,
        row=0,
        key=account.number,
        data={"account_number": account.number, "last_name": account.customer.last_name},
        reasons=["inn_invalid:inn"],
    )
    return run


def quarantined_on(account: Account) -> QuarantinedRow:
    return QuarantinedRow.objects.filter(key=account.number).first() or run_on(account).quarantine.get()


def duplicate_on(account: Account) -> DuplicateCandidate:
    other = CustomerFactory(last_name=account.customer.last_name)
    return DuplicateCandidate.objects.create(
        customer=other, duplicate_of=account.customer, score=90, source="t"
    )


def merge_on(account: Account) -> CustomerMerge:
    other = CustomerFactory(last_name=account.customer.last_name)
    return CustomerMerge.objects.create(survivor=account.customer, merged=other, moved={})


def index_names() -> set[str]:
    """Return the names of the secondary indexes an initial load may defer (of the tables it writes)."""
    tables = (Customer, Contact, Account, Premises)
    return {name for model in tables for name, _sql in secondary_index_definitions(model._meta.db_table)}
