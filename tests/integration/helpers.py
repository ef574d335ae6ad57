"""Objects of the integration area that name a victim's data (tests/test_access_leaks.py); index names."""

from __future__ import annotations

from django.db import connection

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
    """Return the names of the secondary indexes (and PostgreSQL foreign keys) of the tables a first
    load writes: what the initial-load mode may defer."""
    tables = [model._meta.db_table for model in (Customer, Contact, Account, Premises)]
    names = {name for table in tables for name, _sql in secondary_index_definitions(table)}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint"
                " WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
                [tables],
            )
            names |= {name for (name,) in cursor.fetchall()}
    return names
