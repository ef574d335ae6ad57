"""Monthly composition from real bills of the charge run: chunks, resumable, archived once; the print
batch in route order skips e-bill customers; the PDF shows the ledger's numbers."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from pypdf import PdfReader

from abonent.billing.models import Bill
from abonent.billing.services.charge_run import run_pending_chunks, start_charge_run
from abonent.documents.composition import build_print_batch, compose_chunk, start_composition
from abonent.documents.errors import RunNotResumable
from abonent.documents.models import (
    ArchivedDocument,
    CompositionChunk,
    CompositionRun,
    DocumentKind,
    PrintBatch,
)
from abonent.documents.selectors import document_data, render_document
from tests.billing.charge_setup import OCTOBER, build_example
from tests.factories import AccountFactory, AccountServiceFactory, PremisesFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bills(account, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    example = build_example(account)
    building = account.premises.building
    neighbour = AccountFactory(
        number="6600123457",
        branch=account.branch,
        premises=PremisesFactory(building=building, number="2"),
        customer__paper_bill=False,
    )
    AccountServiceFactory(account=neighbour, service=example.heating)  # billed by the norm
    run = start_charge_run(branch=account.branch, period=OCTOBER, chunk_accounts=10, enqueue=False)
    run_pending_chunks(run=run)
    return list(Bill.objects.filter(period=OCTOBER.start).order_by("id"))


def _compose(branch, chunk_size=1) -> CompositionRun:
    run = start_composition(branch=branch, period=OCTOBER.start, started_by=None, chunk_size=chunk_size)
    for chunk in CompositionChunk.objects.filter(run=run):
        compose_chunk(chunk_id=chunk.pk)
    run.refresh_from_db()
    return run


def test_composition_archives_every_bill_once_with_the_ledger_numbers(account, bills) -> None:
    run = _compose(account.branch)

    assert (run.status, run.total, run.composed, run.chunks_done) == ("done", 2, 2, 2)
    document = ArchivedDocument.objects.get(kind=DocumentKind.BILL, source_id=bills[0].pk)
    assert document.account_id == account.pk and document.dictionary_id is not None
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(render_document(document=document))).pages
    )
    for amount in ("3470,50", "1250,00", "2220,50"):
        assert amount in text
    assert document_data(document=document)["totals"]["due"] == str(bills[0].total_due)
    with pytest.raises(RunNotResumable):
        start_composition(branch=account.branch, period=OCTOBER.start, started_by=None)


def test_a_chunk_repeated_after_a_crash_archives_nothing_twice(account, bills) -> None:
    run = start_composition(branch=account.branch, period=OCTOBER.start, started_by=None, chunk_size=1)
    first = CompositionChunk.objects.filter(run=run).order_by("index").first()
    compose_chunk(chunk_id=first.pk)
    CompositionChunk.objects.filter(pk=first.pk).update(status=CompositionChunk.Status.FAILED)  # as if lost

    resumed = start_composition(branch=account.branch, period=OCTOBER.start, started_by=None)
    for chunk in CompositionChunk.objects.filter(run=resumed):
        compose_chunk(chunk_id=chunk.pk)

    assert ArchivedDocument.objects.filter(kind=DocumentKind.BILL).count() == 2
    assert compose_chunk(chunk_id=first.pk) == 0  # done chunks are not claimed again


def test_print_batch_skips_e_bills_and_lists_the_route(account, bills) -> None:
    run = _compose(account.branch)
    batch = build_print_batch(batch=PrintBatch.objects.create(run=run))

    assert (batch.printed, batch.skipped_e_bills) == (1, 1)
    with zipfile.ZipFile(batch.file.open("rb")) as bundle:
        names = bundle.namelist()
        manifest = list(csv.DictReader(io.StringIO(bundle.read("manifest.csv").decode("utf-8-sig"))))
        pdf = PdfReader(io.BytesIO(bundle.read("bundle-0001.pdf")))
    assert names == ["bundle-0001.pdf", "manifest.csv"]
    assert [row["account"] for row in manifest] == [account.number]
    assert manifest[0]["street"] == account.premises.building.street
    assert len(pdf.pages) == int(manifest[0]["pages"])
