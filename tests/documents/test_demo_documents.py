"""The demo's documents: all clients' folders by one INSERT … SELECT; letters, debt notices by the ledger."""

from __future__ import annotations

from datetime import date

import pytest

from abonent.billing.models import LedgerEntry
from abonent.billing.services.ledger import post_entry
from abonent.demo.documents import archive_letters_and_notices, create_all_folders
from abonent.documents.models import ArchivedDocument, ClientFolder, DocumentKind, FolderCategory
from abonent.documents.selectors import document_data
from abonent.documents.services import create_client_folders
from tests.factories import AccountFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_every_customer_gets_each_folder_once(account, other_account) -> None:
    create_client_folders(customer=account.customer)  # one client has them already

    added = create_all_folders()
    again = create_all_folders()

    assert added == len(FolderCategory.values)
    assert again == 0
    for customer in (account.customer, other_account.customer):
        categories = ClientFolder.objects.filter(customer=customer).values_list("category", flat=True)
        assert sorted(categories) == sorted(FolderCategory.values)


def test_a_fresh_demo_gets_all_folders_in_one_statement(account, other_account) -> None:
    added = create_all_folders()

    assert added == 2 * len(FolderCategory.values)
    assert ClientFolder.objects.filter(customer=other_account.customer).count() == len(FolderCategory.values)


def test_letters_for_all_and_a_debt_notice_where_the_ledger_shows_a_debt(branch) -> None:
    owing = AccountFactory(number="669000000002", branch=branch)
    settled = AccountFactory(number="669000000003", branch=branch)
    service = ServiceFactory()
    for kind, amount in ((LedgerEntry.Kind.CHARGE, "4812.40"), (LedgerEntry.Kind.PENALTY, "153.46")):
        post_entry(
            account=owing,
            service=service,
            period=date(2026, 9, 1),
            kind=kind,
            amount=amount,
            occurred_on=date(2026, 9, 30),
            source="test",
            idempotency_key=f"test:{kind}",
        )

    archived = archive_letters_and_notices([owing, settled], today=date(2026, 11, 2))

    assert archived == 3
    notice = ArchivedDocument.objects.get(kind=DocumentKind.DEBT_NOTICE)
    data = document_data(document=notice)
    assert notice.account_id == owing.pk
    assert (data["debt"], data["penalties"], data["total"]) == ("4812.40", "153.46", "4965.86")
    assert data["payer"]["account_number"] == owing.number
    letters = ArchivedDocument.objects.filter(kind=DocumentKind.LETTER)
    assert sorted(letters.values_list("account_id", flat=True)) == sorted([owing.pk, settled.pk])
