"""The monthly composition of a branch's bills and the print house's export.

Composing a bill = taking its canonical data from billing (`bill_document_data`) and archiving it
with the published template and the kind's dictionary. The PDF is not stored: it is rendered on
retrieval (cabinet, console, API, print batch) from the pinned template — that is what keeps the
archive at ~200 bytes a bill. A run works in chunks (one task each, one transaction each), records
progress, and is resumable: a chunk done stays done, and a repeated chunk archives no bill twice
(the archive is unique by bill).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from pypdf import PdfWriter

from abonent.billing.models import Bill
from abonent.billing.selectors import bill_document_data, bills_document_data
from abonent.core.models import Branch
from abonent.documents.errors import RunNotResumable
from abonent.documents.models import (
    ArchivedDocument,
    CompositionChunk,
    CompositionRun,
    DocumentKind,
    PrintBatch,
)
from abonent.documents.selectors import render_document
from abonent.documents.services import ArchiveItem, archive_document, archive_documents, ensure_dictionary
from abonent.identity.models import User

CHUNK_SIZE = 500
BUNDLE_SIZE = 500  # bills per PDF file of a print batch (a print house's usual job size)


def _issued_bill_ids(branch: Branch, period: date) -> list[int]:
    # A read of billing's table by branch and period; billing has no selector for whole branches yet.
    return list(
        Bill.objects.filter(account__branch=branch, period=period, status=Bill.Status.ISSUED)
        .order_by("id")
        .values_list("id", flat=True)
    )


@transaction.atomic
def start_composition(
    *, branch: Branch, period: date, started_by: User | None, chunk_size: int = CHUNK_SIZE
) -> CompositionRun:
    """Start (or resume) the composition of the branch's bills of a period; chunks run as tasks."""
    run, created = CompositionRun.objects.select_for_update().get_or_create(
        branch=branch, period=period, defaults={"started_by": started_by}
    )
    if created:
        ids = _issued_bill_ids(branch, period)
        CompositionChunk.objects.bulk_create(
            CompositionChunk(run=run, index=index, bill_ids=ids[start : start + chunk_size])
            for index, start in enumerate(range(0, len(ids), chunk_size))
        )
        run.total, run.chunks_total = len(ids), -(-len(ids) // chunk_size)
        run.save(update_fields=["total", "chunks_total"])
    elif run.status == CompositionRun.Status.DONE:
        raise RunNotResumable()
    ensure_dictionary(kind=DocumentKind.BILL)
    CompositionRun.objects.filter(pk=run.pk).update(status=CompositionRun.Status.RUNNING, error="")
    run.refresh_from_db()
    if run.chunks_total == 0:
        _finish_if_complete(run.pk)
    _enqueue_open_chunks(run)
    return run


def _enqueue_open_chunks(run: CompositionRun) -> None:
    from abonent.documents.tasks import compose_chunk_task

    open_chunks = CompositionChunk.objects.filter(
        run=run, status__in=[CompositionChunk.Status.PENDING, CompositionChunk.Status.FAILED]
    ).values_list("id", flat=True)
    for chunk_id in list(open_chunks):
        transaction.on_commit(partial(compose_chunk_task.enqueue, chunk_id))


def compose_chunk(*, chunk_id: int) -> int:
    """Compose and archive one chunk's bills; return how many were archived now (0 when done before)."""
    claimed = CompositionChunk.objects.filter(
        pk=chunk_id, status__in=[CompositionChunk.Status.PENDING, CompositionChunk.Status.FAILED]
    ).update(status=CompositionChunk.Status.RUNNING, attempts=F("attempts") + 1)
    if not claimed:
        return 0
    chunk = CompositionChunk.objects.select_related("run").get(pk=chunk_id)
    try:
        with transaction.atomic():
            archived = archive_documents(kind=DocumentKind.BILL, items=_bill_items(chunk.bill_ids))
            CompositionChunk.objects.filter(pk=chunk_id).update(status=CompositionChunk.Status.DONE, error="")
            CompositionRun.objects.filter(pk=chunk.run_id).update(
                composed=F("composed") + len(chunk.bill_ids), chunks_done=F("chunks_done") + 1
            )
    except Exception as exc:
        CompositionChunk.objects.filter(pk=chunk_id).update(
            status=CompositionChunk.Status.FAILED, error=repr(exc)[:2000]
        )
        CompositionRun.objects.filter(pk=chunk.run_id).update(error=repr(exc)[:2000])
        raise
    _finish_if_complete(chunk.run_id)
    return archived


def bill_document(*, bill: Bill) -> ArchivedDocument:
    """Return the archived document of an issued bill, archiving it now if no run composed it yet."""
    existing = ArchivedDocument.objects.filter(kind=DocumentKind.BILL, source_id=bill.pk).first()
    if existing is not None:
        return existing
    ensure_dictionary(kind=DocumentKind.BILL)
    return archive_document(
        kind=DocumentKind.BILL,
        data=bill_document_data(bill=bill),
        customer=bill.account.customer,
        account=bill.account,
        period=bill.period,
        source_id=bill.pk,
    )


def _bill_items(bill_ids: list[int]) -> Iterator[ArchiveItem]:
    bills = list(Bill.objects.filter(pk__in=bill_ids).select_related("account").order_by("id"))
    # The chunk's data in a few queries (billing's bulk reader, held equal to bill_document_data).
    data = bills_document_data(bills=bills)
    for bill in bills:
        yield ArchiveItem(
            data=data[bill.pk],
            customer_id=bill.account.customer_id,
            account_id=bill.account_id,
            period=bill.period,
            source_id=bill.pk,
        )


def _finish_if_complete(run_id: int) -> None:
    CompositionRun.objects.filter(pk=run_id, chunks_done__gte=F("chunks_total")).exclude(
        status=CompositionRun.Status.DONE
    ).update(status=CompositionRun.Status.DONE, finished_at=timezone.now(), error="")


def resume_composition(*, run: CompositionRun) -> CompositionRun:
    """Enqueue the chunks of a run that are still waiting or failed (after a crash or an error)."""
    if run.status == CompositionRun.Status.DONE:
        raise RunNotResumable()
    with transaction.atomic():
        CompositionChunk.objects.filter(run=run, status=CompositionChunk.Status.RUNNING).update(
            status=CompositionChunk.Status.FAILED
        )
        _enqueue_open_chunks(run)
    return run


# --- print batches ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrintItem:
    document: ArchivedDocument
    account_number: str
    payer: str
    district: str
    street: str
    house: str
    premises: str


def _natural(text: str) -> tuple:
    """Sort "2" before "10" and "5а" after "5" (house and flat numbers)."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text.lower()))


def print_items(*, run: CompositionRun) -> tuple[list[PrintItem], int]:
    """Return the run's archived bills for paper delivery in route order, and how many chose e-bills."""
    bill_ids = [bill_id for ids in run.chunks.values_list("bill_ids", flat=True) for bill_id in ids]
    documents = ArchivedDocument.objects.filter(
        kind=DocumentKind.BILL, source_id__in=bill_ids
    ).select_related("account__customer", "account__premises__building__district")
    items, skipped = [], 0
    for document in documents:
        account = document.account
        if account is None:
            continue
        if not account.customer.paper_bill:
            skipped += 1
            continue
        building = account.premises.building
        items.append(
            PrintItem(
                document=document,
                account_number=account.number,
                payer=account.customer.display_name,
                district=building.district.name,
                street=building.street,
                house=building.house,
                premises=account.premises.number,
            )
        )
    items.sort(
        key=lambda i: (i.district, i.street, _natural(i.house), _natural(i.premises), i.account_number)
    )
    return items, skipped


def build_print_batch(*, batch: PrintBatch) -> PrintBatch:
    """Render the run's paper bills in route order into PDF bundles with a CSV manifest, as one zip."""
    items, skipped = print_items(run=batch.run)
    archive, manifest = io.BytesIO(), io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(
        [
            "bundle",
            "sequence",
            "first_page",
            "pages",
            "account",
            "payer",
            "district",
            "street",
            "house",
            "premises",
        ]
    )
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle_zip:
        for number, start in enumerate(range(0, len(items), BUNDLE_SIZE), start=1):
            name = f"bundle-{number:04d}.pdf"
            bundle_zip.writestr(name, _bundle(items[start : start + BUNDLE_SIZE], name, writer, start))
        bundle_zip.writestr("manifest.csv", "\ufeff" + manifest.getvalue())  # BOM: Excel opens UTF-8 right
    run = batch.run
    batch.file.save(
        f"{run.branch.code}-{run.period:%Y-%m}-{batch.pk}.zip", ContentFile(archive.getvalue()), save=False
    )
    batch.printed, batch.skipped_e_bills = len(items), skipped
    batch.status, batch.finished_at = PrintBatch.Status.DONE, timezone.now()
    batch.save(update_fields=["file", "printed", "skipped_e_bills", "status", "finished_at"])
    return batch


def _bundle(items: list[PrintItem], name: str, manifest: csv.writer, offset: int) -> bytes:  # type: ignore[valid-type]
    writer = PdfWriter()
    for sequence, item in enumerate(items, start=offset + 1):
        first_page = len(writer.pages) + 1
        writer.append(io.BytesIO(render_document(document=item.document)))
        pages = len(writer.pages) - first_page + 1
        manifest.writerow(  # type: ignore[attr-defined]
            [
                name,
                sequence,
                first_page,
                pages,
                item.account_number,
                item.payer,
                item.district,
                item.street,
                item.house,
                item.premises,
            ]
        )
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


@transaction.atomic
def request_print_batch(*, run: CompositionRun) -> PrintBatch:
    """Create a print batch of a run and build it in the background."""
    from abonent.documents.tasks import build_print_batch_task

    batch = PrintBatch.objects.create(run=run)
    transaction.on_commit(lambda: build_print_batch_task.enqueue(batch.pk))
    return batch
