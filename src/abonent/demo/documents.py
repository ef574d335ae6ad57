"""Demo documents: every client's folders, and an archive of the demo logins' bills, letters and notices.

Folders are one INSERT … SELECT over all customers (5 rows each: ~5 million at 1,000,000 accounts,
seconds on either database). Documents are archived only for the demo logins — the population's bills
are composed by a composition run when someone starts one in the console, like in production. Their
data comes from the domain (billing's `bill_document_data`, the ledger's balance), never typed here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from abonent.billing.models import Bill
from abonent.billing.selectors import balance, bill_document_data, posted_penalties
from abonent.core.models import Organisation
from abonent.customers.models import Account, Customer
from abonent.demo.billing import PERSONA_PREFIX
from abonent.documents.models import ClientFolder, DocumentKind, FolderCategory
from abonent.documents.samples import SIGNATORY
from abonent.documents.services import ArchiveItem, archive_documents, ensure_dictionary

NOTICE_DAYS = 20  # Decree 354, p. 119: the supply may be limited 20 days after the notice


def generate_documents(*, report: Callable[[str], None] = print, today: date | None = None) -> None:
    """Create the folders of all clients and archive the demo logins' documents."""
    started = time.monotonic()
    folders = create_all_folders()
    ensure_dictionary(kind=DocumentKind.BILL)
    accounts = list(
        Account.objects.filter(number__startswith=PERSONA_PREFIX).select_related(
            "customer", "premises__building", "branch__organisation"
        )
    )
    with transaction.atomic():
        bills = archive_persona_bills(accounts)
        letters = archive_letters_and_notices(accounts, today=today or timezone.localdate())
    report(
        f"  documents: {folders:,} client folders, {bills} bills and {letters} letters/notices archived"
        f" in {time.monotonic() - started:.1f} s"
    )


def create_all_folders() -> int:
    """Give every customer the folders of every category they lack (one INSERT … SELECT)."""
    table, customers = ClientFolder._meta.db_table, Customer._meta.db_table
    categories = " UNION ALL ".join(["SELECT %s AS category"] * len(FolderCategory.values))
    # Table names come from the models, the categories are parameters: nothing here is user input.
    sql = f"INSERT INTO {table} (customer_id, category) SELECT c.id, f.category FROM {customers} c"  # noqa: S608
    sql += f" CROSS JOIN ({categories}) f"
    if ClientFolder.objects.exists():  # a fresh demo has none: no probe per row then
        sql += (
            f" WHERE NOT EXISTS (SELECT 1 FROM {table} x"  # noqa: S608
            " WHERE x.customer_id = c.id AND x.category = f.category)"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(FolderCategory.values))
        return cursor.rowcount


def archive_persona_bills(accounts: list[Account]) -> int:
    """Archive the issued bills of the demo logins' accounts, as a composition run would."""
    bills = Bill.objects.filter(account__in=accounts, status=Bill.Status.ISSUED).order_by("period", "id")
    by_id = {account.pk: account for account in accounts}
    items = [
        ArchiveItem(
            data=bill_document_data(bill=bill),
            customer_id=by_id[bill.account_id].customer_id,
            account_id=bill.account_id,
            period=bill.period,
            source_id=bill.pk,
        )
        for bill in bills
    ]
    return archive_documents(kind=DocumentKind.BILL, items=items)


def archive_letters_and_notices(accounts: list[Account], *, today: date) -> int:
    """Archive a welcome letter to each demo account and a debt notice where the ledger shows a debt."""
    letters = [
        ArchiveItem(data=_letter(account, today), customer_id=account.customer_id, account_id=account.pk)
        for account in accounts
    ]
    notices = []
    for account in accounts:
        debt = balance(account=account)
        if debt > 0:
            penalties = sum(posted_penalties(account=account).values(), Decimal(0))
            notices.append(
                ArchiveItem(
                    data=_debt_notice(account, today, debt=debt, penalties=penalties),
                    customer_id=account.customer_id,
                    account_id=account.pk,
                )
            )
    return archive_documents(kind=DocumentKind.LETTER, items=letters) + archive_documents(
        kind=DocumentKind.DEBT_NOTICE, items=notices
    )


def _payer(account: Account) -> dict[str, str]:
    kinds = {
        Customer.Kind.INDIVIDUAL: "individual",
        Customer.Kind.SOLE_PROPRIETOR: "sole_proprietor",
        Customer.Kind.LEGAL_ENTITY: "legal",
    }
    return {
        "name": account.customer.display_name,
        "account_number": account.number,
        "address": str(account.premises),
        "kind": kinds.get(account.customer.kind, "individual"),
    }


def supplier_block(organisation: Organisation) -> dict[str, Any]:
    """Return the supplier block the documents' contracts share (as on the bill)."""
    return {
        "name": organisation.name,
        "inn": organisation.inn,
        "kpp": organisation.kpp,
        "address": organisation.legal_address,
        "phone": organisation.phone,
        "bank": {
            "name": organisation.bank_name,
            "bik": organisation.bank_bic,
            "account": organisation.bank_account,
            "correspondent_account": organisation.bank_corr_account,
        },
    }


def _letter(account: Account, today: date) -> dict[str, Any]:
    return {
        "kind": "letter",
        "schema": 1,
        "number": f"ИСХ-{today:%Y}-{account.pk:06d}",
        "issued_on": today.isoformat(),
        "subject": "О личном кабинете и электронных счетах",
        "greeting": f"Уважаемый(ая) {account.customer.display_name}!",
        "supplier": supplier_block(account.branch.organisation),
        "payer": _payer(account),
        "paragraphs": [
            f"Лицевой счёт {account.number} подключён к личному кабинету.",
            "Счета, акты и письма по нему хранятся в разделе «Документы» и открываются в любой момент.",
        ],
        "signatory": SIGNATORY,
    }


def _debt_notice(account: Account, today: date, *, debt: Decimal, penalties: Decimal) -> dict[str, Any]:
    return {
        "kind": "debt_notice",
        "schema": 1,
        "number": f"УВ-{today:%Y}-{account.pk:06d}",
        "issued_on": today.isoformat(),
        "as_of": today.isoformat(),
        "supplier": supplier_block(account.branch.organisation),
        "payer": _payer(account),
        "service": "коммунальные услуги",
        "debt": f"{debt - penalties:.2f}",
        "penalties": f"{penalties:.2f}",
        "total": f"{debt:.2f}",
        "notice_days": NOTICE_DAYS,
        "delivery_channel": "сообщение в личном кабинете",
        "signatory": SIGNATORY,
    }
