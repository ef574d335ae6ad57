"""The archive's packed form gives back the exact canonical JSON (and so the SHA-256) of what was archived."""

from __future__ import annotations

import random

import pytest

from abonent.documents import codec, samples
from abonent.documents.errors import ArchiveCorrupted
from abonent.documents.models import KIND_SLUGS, ArchivedDocument, DocumentKind
from abonent.documents.selectors import document_data, document_json
from abonent.documents.services import archive_document, train_dictionary


@pytest.mark.parametrize("seed", range(40))
def test_a_bill_packs_without_key_names_and_unpacks_to_the_same_bytes(seed) -> None:
    bill = samples.random_bill(random.Random(seed))
    raw = codec.canonical_json(bill)

    packed = codec.pack(bill)

    assert packed[:1] == b"\x01"
    assert b'"qr_payload"' not in packed and b'"opening_balance"' not in packed
    assert len(packed) < len(raw) * 0.75
    assert codec.unpack(packed) == raw


@pytest.mark.parametrize(
    "change",
    [
        lambda bill: bill.update(extra="x"),  # a key the shape does not know
        lambda bill: bill["totals"].pop("paid"),  # a key missing
        lambda bill: bill.update(schema=2),  # a schema without a packed shape
        lambda bill: bill["lines"].append({"service": "Газ"}),  # an item of another shape
        lambda bill: bill.update(notices=[{"text": "a dict where text is"}]),
    ],
)
def test_data_off_the_shape_is_kept_as_canonical_json(change) -> None:
    bill = samples.random_bill(random.Random(1))
    change(bill)

    assert codec.pack(bill) == codec.canonical_json(bill)


@pytest.mark.parametrize("kind", [kind for kind in KIND_SLUGS if kind != DocumentKind.BILL])
def test_other_kinds_are_stored_as_canonical_json(kind) -> None:
    data = samples.sample_data(kind)

    assert codec.pack(data) == codec.canonical_json(data)


@pytest.mark.django_db
def test_archived_bill_is_stored_packed_and_read_back_with_its_checksum(account, bill_payload) -> None:
    train_dictionary(kind=DocumentKind.BILL)
    document = archive_document(kind=DocumentKind.BILL, data=bill_payload, customer=account.customer)
    document.refresh_from_db()

    assert document_json(document=document) == codec.canonical_json(bill_payload)
    assert document_data(document=document) == bill_payload
    assert len(bytes(document.data)) < 260


@pytest.mark.django_db
def test_an_unknown_packed_shape_is_reported_as_corruption(account) -> None:
    blob = codec.compress(b"\x7f[1,2]", key=b"", dictionary=None)
    document = ArchivedDocument.objects.create(
        kind=DocumentKind.BILL,
        customer=account.customer,
        template_id=1,
        data=blob,
        sha256=codec.sha256(b"[1,2]"),
        created_at="2026-11-01T00:00:00Z",
    )

    with pytest.raises(ArchiveCorrupted):
        document_json(document=document)
