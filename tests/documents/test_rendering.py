"""Every kind archives and renders back to the same document; the bill shows the ledger's numbers and a
QR code that decodes to the payment payload."""

from __future__ import annotations

import io
from datetime import date

import pytest
import typst
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from abonent.documents import codec, rendering, samples
from abonent.documents.models import KIND_SLUGS, ArchivedDocument, DocumentKind
from abonent.documents.selectors import document_data, published_template, render_document
from abonent.documents.services import archive_document, train_dictionary

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("kind", list(KIND_SLUGS))
def test_archive_then_render_reproduces_the_document_byte_for_byte(kind, account) -> None:
    data = samples.sample_data(kind)
    template = published_template(kind=kind)
    issued = rendering.render_pdf(source=template.source, data=data)

    document = archive_document(kind=kind, data=data, customer=account.customer, account=account)
    stored = ArchivedDocument.objects.get(pk=document.pk)

    assert stored.template_id == template.pk
    assert bytes(stored.sha256) == codec.sha256(codec.canonical_json(data))
    assert document_data(document=stored) == data
    assert render_document(document=stored) == issued
    assert render_document(document=stored, fmt="png").startswith(b"\x89PNG")
    assert "Уральский расчётный центр" in pdf_text(issued)


def test_bill_pdf_shows_the_ledger_numbers(account, bill_payload) -> None:
    document = archive_document(
        kind=DocumentKind.BILL,
        data=bill_payload,
        customer=account.customer,
        account=account,
        period=date(2026, 10, 1),
    )
    text = pdf_text(render_document(document=document))

    totals = bill_payload["totals"]
    for key in ("charged", "paid", "due"):
        assert totals[key].replace(".", ",") in text
    for line in bill_payload["lines"]:
        assert line["total"].replace(".", ",") in text
    assert account.number in text
    assert "Иванова Мария Петровна" in text
    assert "оплатить до 15.11.2026" in text


def test_bill_qr_code_decodes_to_the_payment_payload(account, bill_payload) -> None:
    document = archive_document(
        kind=DocumentKind.BILL, data=bill_payload, customer=account.customer, account=account
    )
    template = published_template(kind=DocumentKind.BILL)
    png = rendering.render_png(source=template.source, data=document_data(document=document), ppi=200)

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))

    assert len(found) == 1
    assert found[0].bytes.decode("utf-8") == bill_payload["qr_payload"]
    assert f"PersAcc={account.number}" in found[0].bytes.decode("utf-8")
    assert f"Sum={int(float(bill_payload['totals']['due']) * 100 + 0.5)}" in found[0].bytes.decode("utf-8")


def test_dictionary_compresses_bills_and_old_documents_keep_their_version(account, bill_payload) -> None:
    plain = archive_document(kind=DocumentKind.BILL, data=bill_payload, customer=account.customer)
    first = train_dictionary(kind=DocumentKind.BILL)
    with_dict = archive_document(kind=DocumentKind.BILL, data=bill_payload, customer=account.customer)
    second = train_dictionary(kind=DocumentKind.BILL)
    later = archive_document(kind=DocumentKind.BILL, data=bill_payload, customer=account.customer)

    assert plain.dictionary_id is None
    assert (first.version, second.version) == (1, 2)
    assert with_dict.dictionary_id == first.pk and later.dictionary_id == second.pk
    assert len(with_dict.data) < len(plain.data) / 2
    assert len(with_dict.data) < 400
    for row in (plain, with_dict, later):
        assert document_data(document=ArchivedDocument.objects.get(pk=row.pk)) == bill_payload


def test_tampered_data_is_refused(account, bill_payload) -> None:
    from abonent.documents.errors import ArchiveCorrupted

    document = archive_document(kind=DocumentKind.BILL, data=bill_payload, customer=account.customer)
    other = dict(bill_payload, number="X-1")
    ArchivedDocument.objects.filter(pk=document.pk).update(
        data=codec.compress(codec.canonical_json(other), key=b"", dictionary=None)
    )
    with pytest.raises(ArchiveCorrupted):
        document_data(document=ArchivedDocument.objects.get(pk=document.pk))


def test_the_same_source_object_is_archived_once(account, bill_payload) -> None:
    first = archive_document(
        kind=DocumentKind.BILL, data=bill_payload, customer=account.customer, source_id=42
    )
    again = archive_document(
        kind=DocumentKind.BILL, data=bill_payload, customer=account.customer, source_id=42
    )
    assert first.pk == again.pk
    assert ArchivedDocument.objects.count() == 1


def test_qr_code_is_byte_mode_in_the_payloads_own_encoding() -> None:
    # "ST00011" flags windows-1251: the code must carry those bytes, without an ECI header (]Q1).
    payload = "ST00011|Name=ООО «Водоканал»|PersonalAcc=40702810900000000001|Sum=123450"
    svg = rendering.qr_svg(payload)
    png = typst.compile(
        b"#set page(width: 6cm, height: 6cm, margin: 0pt)\n"
        b'#image(bytes(sys.inputs.qr), format: "svg", width: 100%)',
        format="png",
        ppi=200,
        sys_inputs={"qr": svg},
    )

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))

    assert len(found) == 1
    assert found[0].bytes == payload.encode("cp1251")
    assert found[0].symbology_identifier == "]Q1"
