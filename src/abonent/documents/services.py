"""Writes of documents: template versions, the archive, dictionaries, client folders.

Composition runs and print batches are in `composition.py`, attachments in `attachments.py`.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from abonent.core.audit import record_audit_event
from abonent.core.models import AuditEvent
from abonent.customers.models import Account, Customer
from abonent.documents import codec, rendering, samples
from abonent.documents.errors import TemplateCompileError, TemplatePublished
from abonent.documents.models import (
    KIND_SLUGS,
    ArchivedDocument,
    ClientFolder,
    CompressionDictionary,
    DocumentKind,
    DocumentTemplate,
    FolderCategory,
)
from abonent.documents.selectors import (
    LoadedDictionary,
    current_dictionary,
    forget_cached,
    published_template,
)
from abonent.identity.models import User

MIN_TRAINING_SAMPLES = 200
TRAINING_SAMPLES = 10000  # recent documents; 3,000 trained a dictionary ~1 % worse
BOOTSTRAP_SAMPLES = 3000  # generated bills for the first dictionary (~0.6 s to make)
DRIFT_TOLERANCE = 1.15  # retrain when recent documents compress 15 % worse than at training


# --- templates -------------------------------------------------------------------------------------------


def check_template(*, kind: int, source: str) -> bytes:
    """Compile the source with the kind's sample data; return the preview PNG or raise with line numbers."""
    if not source.strip():
        raise TemplateCompileError(gettext("The template is empty."))
    return rendering.render_png(source=source, data=samples.sample_data(kind))


@transaction.atomic
def create_template_version(
    *, kind: int, source: str, note: str = "", created_by: User | None
) -> DocumentTemplate:
    """Save a new draft version of a kind's template after it compiles with the sample data."""
    check_template(kind=kind, source=source)
    last = DocumentTemplate.objects.select_for_update().filter(kind=kind).order_by("-version").first()
    template = DocumentTemplate.objects.create(
        kind=kind, version=(last.version + 1) if last else 1, source=source, note=note, created_by=created_by
    )
    record_audit_event(
        actor=created_by, action=AuditEvent.Action.CREATE, target=template, reason="template draft"
    )
    return template


@transaction.atomic
def update_draft(*, template: DocumentTemplate, source: str, note: str, changed_by: User) -> DocumentTemplate:
    """Change a draft's source; a published version is refused."""
    check_template(kind=template.kind, source=source)
    changed = DocumentTemplate.objects.filter(pk=template.pk, status=DocumentTemplate.Status.DRAFT).update(
        source=source, note=note
    )
    if not changed:
        raise TemplatePublished()
    template.source, template.note = source, note
    record_audit_event(
        actor=changed_by, action=AuditEvent.Action.UPDATE, target=template, reason="template draft"
    )
    return template


@transaction.atomic
def publish_template(*, template: DocumentTemplate, published_by: User | None) -> DocumentTemplate:
    """Publish a draft: new documents of the kind use it from now on, and it never changes again."""
    now = timezone.now()
    changed = DocumentTemplate.objects.filter(pk=template.pk, status=DocumentTemplate.Status.DRAFT).update(
        status=DocumentTemplate.Status.PUBLISHED, published_at=now
    )
    if not changed:
        raise TemplatePublished()
    template.status, template.published_at = DocumentTemplate.Status.PUBLISHED, now
    record_audit_event(
        actor=published_by, action=AuditEvent.Action.UPDATE, target=template, reason="published"
    )
    return template


def install_shipped_templates() -> list[DocumentTemplate]:
    """Publish the project's own Typst templates as version 1 of every kind that has no version yet."""
    created = []
    for kind, slug in KIND_SLUGS.items():
        if not DocumentTemplate.objects.filter(kind=kind).exists():
            created.append(
                DocumentTemplate.objects.create(
                    kind=kind,
                    version=1,
                    source=rendering.shipped_source(slug),
                    status=DocumentTemplate.Status.PUBLISHED,
                    note="shipped with Abonent",
                    published_at=timezone.now(),
                )
            )
    return created


# --- the archive -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArchiveItem:
    """One document to archive: its data and whom it belongs to."""

    data: dict[str, Any]
    customer_id: int
    account_id: int | None = None
    period: date | None = None
    source_id: int | None = None


def build_row(
    *,
    kind: int,
    item: ArchiveItem,
    template_id: int,
    dictionary: LoadedDictionary | None,
    created_at: datetime,
) -> ArchivedDocument:
    """Return the unsaved archive row of an item: canonical JSON, compressed, with its hash."""
    raw = codec.canonical_json(item.data)
    blob = codec.compress(
        codec.pack(item.data, raw),
        key=dictionary.key if dictionary else b"",
        dictionary=dictionary.data if dictionary else None,
    )
    return ArchivedDocument(
        kind=kind,
        customer_id=item.customer_id,
        account_id=item.account_id,
        period=item.period,
        template_id=template_id,
        dictionary_id=dictionary.id if dictionary else None,
        data=blob,
        sha256=codec.sha256(raw),
        source_id=item.source_id,
        created_at=created_at,
    )


def archive_documents(*, kind: int, items: Iterable[ArchiveItem]) -> int:
    """Archive documents with the kind's published template and newest dictionary; return how many.

    A document whose source object (e.g. the bill) is archived already is skipped, so a repeated
    composition chunk archives nothing twice.
    """
    items = list(items)
    sources = [item.source_id for item in items if item.source_id is not None]
    done = set(
        ArchivedDocument.objects.filter(kind=kind, source_id__in=sources).values_list("source_id", flat=True)
        if sources
        else ()
    )
    template = published_template(kind=kind)
    dictionary = current_dictionary(kind=kind)
    now = timezone.now()
    rows = [
        build_row(kind=kind, item=item, template_id=template.pk, dictionary=dictionary, created_at=now)
        for item in items
        if item.source_id is None or item.source_id not in done
    ]
    ArchivedDocument.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def archive_document(
    *,
    kind: int,
    data: dict[str, Any],
    customer: Customer,
    account: Account | None = None,
    period: date | None = None,
    source_id: int | None = None,
) -> ArchivedDocument:
    """Archive one document and return its row (the existing one when the source is archived already)."""
    if source_id is not None:
        existing = ArchivedDocument.objects.filter(kind=kind, source_id=source_id).first()
        if existing is not None:
            return existing
    item = ArchiveItem(
        data=data,
        customer_id=customer.pk,
        account_id=account.pk if account else None,
        period=period,
        source_id=source_id,
    )
    row = build_row(
        kind=kind,
        item=item,
        template_id=published_template(kind=kind).pk,
        dictionary=current_dictionary(kind=kind),
        created_at=timezone.now(),
    )
    row.save(force_insert=True)
    return row


# --- dictionaries ----------------------------------------------------------------------------------------


def _recent_samples(kind: int, limit: int) -> list[bytes]:
    """Return the kind's newest documents as they are compressed (packed), for training and drift."""
    from abonent.documents.selectors import document_data

    rows = ArchivedDocument.objects.filter(kind=kind).order_by("-id")[:limit]
    return [codec.pack(document_data(document=row)) for row in rows]


def _synthetic_samples(kind: int, count: int) -> list[bytes]:
    """Return generated documents of a kind to bootstrap its first dictionary (bills only vary)."""
    if kind != DocumentKind.BILL:
        return []
    rng = random.Random(kind)
    return [codec.pack(samples.random_bill(rng)) for _ in range(count)]


@transaction.atomic
def train_dictionary(*, kind: int, packed_samples: list[bytes] | None = None) -> CompressionDictionary | None:
    """Train a new dictionary version of the kind on recent documents (or given packed samples).

    With too few documents a bill dictionary is bootstrapped from generated bills; other kinds
    stay without one (compressed plainly) until they have enough. Archived documents keep the
    version they were compressed with, so old dictionaries are never deleted.
    """
    found = packed_samples if packed_samples is not None else _recent_samples(kind, TRAINING_SAMPLES)
    if len(found) < MIN_TRAINING_SAMPLES:
        found = found + _synthetic_samples(kind, BOOTSTRAP_SAMPLES)
    if len(found) < MIN_TRAINING_SAMPLES:
        return None
    random.Random(len(found)).shuffle(found)
    held_out, training = found[: len(found) // 10], found[len(found) // 10 :]
    data = codec.train(training)
    key = codec.dictionary_key(data)
    mean = statistics.fmean(len(codec.compress(raw, key=key, dictionary=data)) for raw in held_out)
    last = CompressionDictionary.objects.select_for_update().filter(kind=kind).order_by("-version").first()
    row = CompressionDictionary.objects.create(
        kind=kind,
        version=(last.version + 1) if last else 1,
        data=data,
        sample_count=len(training),
        mean_compressed_bytes=mean,
    )
    forget_cached()
    return row


def ensure_dictionary(*, kind: int) -> LoadedDictionary | None:
    """Return the kind's dictionary, training the first one when there is none."""
    loaded = current_dictionary(kind=kind)
    if loaded is None and train_dictionary(kind=kind) is not None:
        loaded = current_dictionary(kind=kind)
    return loaded


def dictionary_drift(*, kind: int, sample: int = 1000) -> float | None:
    """Return how much worse recent documents compress than at training (1.0 = same), or None."""
    row = CompressionDictionary.objects.filter(kind=kind).order_by("-version").first()
    recent = _recent_samples(kind, sample)
    if row is None or not recent:
        return None
    data = bytes(row.data)
    key = codec.dictionary_key(data)
    mean = statistics.fmean(len(codec.compress(raw, key=key, dictionary=data)) for raw in recent)
    return mean / row.mean_compressed_bytes


def retrain_drifted_dictionaries() -> dict[str, int]:
    """Train a new dictionary for every kind whose recent documents drifted (or that has none)."""
    trained: dict[str, int] = {}
    for kind, slug in KIND_SLUGS.items():
        drift = dictionary_drift(kind=kind)
        has_any = CompressionDictionary.objects.filter(kind=kind).exists()
        if (drift is not None and drift > DRIFT_TOLERANCE) or (
            not has_any and ArchivedDocument.objects.filter(kind=kind).count() >= MIN_TRAINING_SAMPLES
        ):
            row = train_dictionary(kind=kind)
            if row is not None:
                trained[slug] = row.version
    return trained


# --- client folders --------------------------------------------------------------------------------------


def create_client_folders(*, customer: Customer) -> list[ClientFolder]:
    """Create the client's folders of every category (missing ones only) and return them all."""
    ClientFolder.objects.bulk_create(
        [ClientFolder(customer=customer, category=category) for category in FolderCategory.values],
        ignore_conflicts=True,
    )
    return list(ClientFolder.objects.filter(customer=customer))
