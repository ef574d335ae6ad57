"""Reads of documents: templates and dictionaries (cached: published ones never change), the archive
by who may see it, decompression with its checksum, and rendering on retrieval."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from abonent.customers.models import Account, Customer
from abonent.documents import codec, rendering
from abonent.documents.errors import ArchiveCorrupted, DocumentNotFound, TemplateNotFound
from abonent.documents.models import (
    ArchivedDocument,
    Attachment,
    ClientFolder,
    CompressionDictionary,
    DocumentKind,
    DocumentTemplate,
    FolderCategory,
    FolderRule,
)
from abonent.identity.models import User
from abonent.identity.selectors import AccountAction, accounts_for_user, allowed_actions


@dataclass(frozen=True, slots=True)
class LoadedDictionary:
    id: int
    version: int
    data: bytes
    key: bytes


_templates: dict[int, DocumentTemplate] = {}
_dictionaries: dict[int, LoadedDictionary] = {}


def published_template(*, kind: int) -> DocumentTemplate:
    """Return the newest published template of the kind."""
    template = (
        DocumentTemplate.objects.filter(kind=kind, status=DocumentTemplate.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )
    if template is None:
        raise TemplateNotFound()
    return template


def pinned_template(*, template_id: int) -> DocumentTemplate:
    """Return a template version by id; published versions are immutable, so they are cached."""
    cached = _templates.get(template_id)
    if cached is not None:
        return cached
    template = DocumentTemplate.objects.get(pk=template_id)
    if template.status == DocumentTemplate.Status.PUBLISHED:
        _templates[template_id] = template
    return template


def _load(row: CompressionDictionary) -> LoadedDictionary:
    data = bytes(row.data)
    return LoadedDictionary(id=row.pk, version=row.version, data=data, key=codec.dictionary_key(data))


def current_dictionary(*, kind: int) -> LoadedDictionary | None:
    """Return the newest dictionary of the kind, or None when none was trained yet."""
    row = CompressionDictionary.objects.filter(kind=kind).order_by("-version").first()
    return _load(row) if row else None


def dictionary_by_id(*, dictionary_id: int) -> LoadedDictionary:
    """Return a dictionary version (immutable: cached by id and checked by content)."""
    cached = _dictionaries.get(dictionary_id)
    if cached is None:
        cached = _load(CompressionDictionary.objects.get(pk=dictionary_id))
        _dictionaries[dictionary_id] = cached
    return cached


def forget_cached() -> None:
    """Drop the caches (tests that reuse ids after a rollback, and the dictionary trainer)."""
    _templates.clear()
    _dictionaries.clear()


def document_json(*, document: ArchivedDocument) -> bytes:
    """Return the document's canonical JSON, checked against its SHA-256."""
    if document.dictionary_id:
        loaded = dictionary_by_id(dictionary_id=document.dictionary_id)
        if codec.dictionary_key(loaded.data) != loaded.key:  # pragma: no cover - a changed row
            raise ArchiveCorrupted()
        stored = codec.decompress(bytes(document.data), key=loaded.key, dictionary=loaded.data)
    else:
        stored = codec.decompress(bytes(document.data), key=b"", dictionary=None)
    try:
        raw = codec.unpack(stored)
    except ValueError as exc:
        raise ArchiveCorrupted() from exc
    if codec.sha256(raw) != bytes(document.sha256):
        raise ArchiveCorrupted()
    return raw


def document_data(*, document: ArchivedDocument) -> dict[str, Any]:
    return json.loads(document_json(document=document))


def render_document(*, document: ArchivedDocument, fmt: str = "pdf") -> bytes:
    """Render the archived data with the template version it was issued with."""
    raw = document_json(document=document)
    data = json.loads(raw)
    template = pinned_template(template_id=document.template_id)
    if fmt == "png":
        return rendering.render_png(source=template.source, data=data)
    return rendering.render_pdf(source=template.source, data=data, data_json=raw.decode("utf-8"))


# --- who sees what ------------------------------------------------------------------------------------


def documents_for_accounts(*, accounts: QuerySet[Account]) -> QuerySet[ArchivedDocument]:
    """Return the archived documents of the accounts, newest first."""
    return ArchivedDocument.objects.filter(account__in=accounts).defer("data").order_by("-created_at", "-id")


def documents_for_user(*, user: User) -> QuerySet[ArchivedDocument]:
    """Return every archived document of the accounts the user may see."""
    return documents_for_accounts(accounts=accounts_for_user(user=user))


def document_for_user(*, user: User, document_id: int) -> ArchivedDocument:
    """Return one document if it belongs to an account the user may view; else "not found"."""
    document = ArchivedDocument.objects.filter(pk=document_id).select_related("account").first()
    if document is None or document.account is None:
        raise DocumentNotFound()
    if AccountAction.VIEW not in allowed_actions(user=user, account=document.account):
        raise DocumentNotFound()
    return document


def customer_documents(*, customer: Customer) -> QuerySet[ArchivedDocument]:
    """Return every archived document of a client (all accounts), newest first."""
    return ArchivedDocument.objects.filter(customer=customer).defer("data").order_by("-created_at", "-id")


def customer_attachments(*, customer: Customer) -> QuerySet[Attachment]:
    return (
        Attachment.objects.filter(customer=customer).select_related("folder").order_by("-created_at", "-id")
    )


def attachment_for_user(*, user: User, attachment_id: int) -> Attachment:
    """Return an attachment of a client whose account the user may view; else "not found"."""
    attachment = Attachment.objects.filter(pk=attachment_id).select_related("folder").first()
    visible = accounts_for_user(user=user)
    if attachment is None:
        raise DocumentNotFound()
    if attachment.account_id is not None:
        allowed = visible.filter(pk=attachment.account_id).exists()
    else:
        allowed = visible.filter(customer_id=attachment.customer_id).exists()
    if not allowed:
        raise DocumentNotFound()
    return attachment


# --- folders ---------------------------------------------------------------------------------------------


def active_rules() -> list[FolderRule]:
    return list(FolderRule.objects.filter(is_active=True).order_by("priority", "id"))


def folder_for(*, rules: list[FolderRule], kind: int | None = None, source: str = "", title: str = "") -> str:
    """Return the folder category the first matching rule names; letters when no rule matches."""
    lowered = title.lower()
    for rule in rules:
        if rule.document_kind is not None and rule.document_kind != kind:
            continue
        if rule.attachment_source and rule.attachment_source != source:
            continue
        if rule.title_contains and rule.title_contains.lower() not in lowered:
            continue
        return rule.folder
    return FolderCategory.LETTERS


def client_folders(*, customer: Customer) -> list[ClientFolder]:
    """Return the client's folders in the order of the categories."""
    order = {value: index for index, value in enumerate(FolderCategory.values)}
    return sorted(ClientFolder.objects.filter(customer=customer), key=lambda f: order[f.category])


def kind_label(kind: int) -> str:
    return str(DocumentKind(kind).label)
