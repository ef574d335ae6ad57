"""Objects of the documents area for tests outside it (the access-leak walker)."""

from __future__ import annotations

import io
import random
import zipfile

from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account
from abonent.documents import samples
from abonent.documents.attachments import store_attachment
from abonent.documents.composition import start_composition
from abonent.documents.models import ArchivedDocument, Attachment, CompositionRun, DocumentKind, PrintBatch
from abonent.documents.services import archive_document

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def document_on(account: Account) -> ArchivedDocument:
    payer = {
        "name": account.customer.display_name,
        "account_number": account.number,
        "address": "-",
        "kind": "individual",
    }
    data = samples.random_bill(random.Random(account.pk), payer=payer)
    return archive_document(kind=DocumentKind.BILL, data=data, customer=account.customer, account=account)


def attachment_on(account: Account) -> Attachment:
    upload = io.BytesIO(MINIMAL_PDF)
    return store_attachment(
        customer=account.customer,
        account=account,
        title="Скан договора",
        upload=upload,
        source="staff",
        name="scan.pdf",
    )


def run_on(account: Account) -> CompositionRun:
    existing = CompositionRun.objects.filter(branch=account.branch).first()
    period = BillingPeriod.from_date(account.opened_on).start
    return existing or start_composition(branch=account.branch, period=period, started_by=None)


def batch_on(account: Account) -> PrintBatch:
    return PrintBatch.objects.create(run=run_on(account))


def office_file(*, macros: bool) -> bytes:
    """A minimal DOCX (a ZIP with the parts the sniffer looks at), with a macro project if asked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00" * 10)
    return buffer.getvalue()
