"""Apply a documents manifest: each listed file goes into the client's folders in the archive.

A row names the account the document belongs to; a legacy archive that knows only the client's INN may
name that instead (the document is then the client's, on no account), as long as one client has it.

The files are stored by documents' own `store_attachment` (source "legacy"; the folder rules choose the
folder by the document's kind), so the customer sees them on the cabinet's documents page. A file is
judged by its bytes: PDF and common images whatever its name says, and office documents (DOCX, XLSX, ODT,
DOC, XLS …) as the cabinet's uploads are, by documents' own `sniff` (name and bytes agree, no macros). Each
document id
remembers the SHA-256 of its file: the same file again is "unchanged"; another file under the same id
replaces the stored one (documents keep no versions of a file), and the audit log names the old file.
"""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import filetype
from django.conf import settings
from django.utils import formats

from abonent.customers.models import Account, Customer
from abonent.documents.attachments import SNIFF_BYTES, replace_attachment_file, sniff, store_attachment
from abonent.documents.errors import AttachmentRefused
from abonent.documents.models import Attachment, AttachmentSource, DocumentKind
from abonent.integration.appliers.upsert import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Parsed,
    RowRefused,
    UpsertApplier,
    inverted,
    spoken,
)
from abonent.integration.bundles import is_unsafe_path, manifest_folder
from abonent.integration.cleaning import stable_hash
from abonent.integration.models import ImportRun

# The types taken, told by the bytes, with the extension the stored file gets.
ACCEPTED_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
    "image/webp": ".webp",
    "image/heic": ".heic",
}
# How manifests name a document's type (compared as `spoken`); the longest prefix wins.
DOCUMENT_TYPES: dict[str, int] = inverted(
    {
        DocumentKind.BILL: (
            "bill",
            "счет",
            "счет квитанция",
            "квитанция",
            "епд",
            "единый платежный документ",
            "платежный документ",
        ),
        DocumentKind.RECONCILIATION_ACT: (
            "reconciliation",
            "reconciliation act",
            "reconciliation statement",
            "акт сверки",
            "сверка",
        ),
        DocumentKind.CONTRACT: ("contract", "договор", "дополнительное соглашение"),
        DocumentKind.DEBT_NOTICE: (
            "debt notice",
            "уведомление о задолженности",
            "предупреждение",
            "уведомление",
        ),
        DocumentKind.LETTER: ("letter", "письмо", "act", "акт", "справка", "прочее", "other"),
    }
)
DOCUMENT_TYPES.update({str(kind.value): kind.value for kind in DocumentKind})
_PREFIXES = sorted(DOCUMENT_TYPES, key=len, reverse=True)


@dataclass(frozen=True)
class DocumentRow(Parsed):
    customer: Customer
    account: Account | None
    kind: int
    title: str
    name: str
    data: bytes
    sha256: str


class DocumentApplier(UpsertApplier[DocumentRow]):
    record_kind = "document"
    folder: Path | None = None
    _located = False
    clients: dict[str, list[Customer]]

    def prepare(self, values: list[dict[str, str]]) -> None:
        super().prepare(values)
        self.clients = defaultdict(list)  # INN → its clients, for the rows that give no account
        inns = {v["inn"] for v in values if v["inn"] and not v["account_number"]}
        for customer in Customer.objects.filter(inn__in=inns).order_by("pk"):
            self.clients[customer.inn].append(customer)
        if not self._located:  # once per run: where the manifest's files are
            run = ImportRun.objects.select_related("profile").filter(pk=self.run_id or 0).first()
            self.folder = manifest_folder(run) if run is not None else None
            self._located = True

    def parse(self, values: dict[str, str]) -> DocumentRow:
        reasons: list[str] = []
        customer, account = self._bind(values, reasons)
        kind = document_kind(values["document_type"])
        if kind is None:
            reasons.append("unknown_document_type")
        data, extension = self._read(values, reasons)
        if reasons or customer is None or kind is None:
            raise RowRefused(reasons)
        digest = hashlib.sha256(data).hexdigest()
        owner = account.number if account is not None else f"inn {customer.inn}"
        return DocumentRow(
            digest=stable_hash(f"{owner}\x1f{digest}"),
            customer=customer,
            account=account,
            kind=kind,
            title=_title(values, kind),
            name=Path(values["file"].replace("\\", "/")).stem[:200] + extension,
            data=data,
            sha256=digest,
        )

    def upsert(self, parsed: DocumentRow, target_id: int | None) -> tuple[str, int | None]:
        stored = Attachment.objects.filter(pk=target_id).first() if target_id else None
        try:
            if stored is None:
                return CREATED, self._store(parsed).pk
            if (stored.customer_id, stored.account_id) != (parsed.customer.pk, _pk(parsed.account)):
                raise RowRefused(["document_account_changed"])
            if stored.sha256 == parsed.sha256:
                return UNCHANGED, stored.pk
            replace_attachment_file(
                attachment=stored,
                upload=io.BytesIO(parsed.data),
                name=parsed.name,
                reason=f"document replaced by an import from {self.source_code}",
            )
        except AttachmentRefused as refusal:
            raise RowRefused(["file_refused"]) from refusal
        return UPDATED, stored.pk

    def _store(self, parsed: DocumentRow) -> Attachment:
        return store_attachment(
            customer=parsed.customer,
            account=parsed.account,
            title=parsed.title,
            upload=io.BytesIO(parsed.data),
            source=AttachmentSource.LEGACY,
            name=parsed.name,
            kind=parsed.kind,
        )

    def _bind(self, values: dict[str, str], reasons: list[str]) -> tuple[Customer | None, Account | None]:
        """Return the row's client and account (None when bound by INN), or add why it cannot be bound."""
        if values["account_number"]:
            account = self.account(values)
            if account is None:
                reasons.append("unknown_account")
                return None, None
            return account.customer, account
        if not values["inn"]:
            reasons.append("missing_required:account_number/inn")
            return None, None
        clients = self.clients.get(values["inn"], [])
        if len(clients) != 1:
            reasons.append("several_clients_with_inn" if clients else "unknown_inn")
            return None, None
        return clients[0], None

    def _read(self, values: dict[str, str], reasons: list[str]) -> tuple[bytes, str]:
        """Return the listed file's bytes and the extension to store it under, or add why it is refused."""
        path, problem = self._locate(values["file"])
        if problem:
            reasons.append(problem)
            return b"", ""
        assert path is not None  # noqa: S101 - _locate returns a path whenever there is no problem
        size = path.stat().st_size
        if size > settings.DOCUMENT_UPLOAD_MAX_BYTES:
            reasons.append("file_too_large")
            return b"", ""
        data = path.read_bytes()
        expected = values["sha256"].strip().lower()
        if expected and expected != hashlib.sha256(data).hexdigest():
            reasons.append("checksum_mismatch")
        if not data:
            reasons.append("file_empty")
            return b"", ""
        guessed = filetype.guess(data[:SNIFF_BYTES])
        if guessed is not None and guessed.mime in ACCEPTED_TYPES:
            return data, ACCEPTED_TYPES[guessed.mime]
        try:  # an office document: judged by its name and bytes together, like an upload in the cabinet
            sniff(name=values["file"], head=data[:SNIFF_BYTES], whole=data)
        except AttachmentRefused:
            reasons.append("unsupported_file_type")
            return b"", ""
        return data, Path(values["file"]).suffix.lower()

    def _locate(self, name: str) -> tuple[Path | None, str]:
        if self.folder is None:
            return None, "files_not_provided"
        if is_unsafe_path(name):
            return None, "file_outside_folder"
        root = self.folder.resolve()
        path = (root / name.replace("\\", "/")).resolve()
        if root not in path.parents:  # a symbolic link that points out of the folder
            return None, "file_outside_folder"
        if not path.is_file():
            return None, "file_missing"
        return path, ""


def _pk(account: Account | None) -> int | None:
    return account.pk if account is not None else None


def document_kind(text: str) -> int | None:
    """Return the kind a manifest's type names (an empty type is a letter), or None when unknown."""
    name = spoken(text)
    if not name:
        return DocumentKind.LETTER
    if name in DOCUMENT_TYPES:
        return DOCUMENT_TYPES[name]
    return next((DOCUMENT_TYPES[p] for p in _PREFIXES if name.startswith(p + " ")), None)


def _title(values: dict[str, str], kind: int) -> str:
    """Return the manifest's title, or the kind and date when it gives none."""
    if values["title"]:
        return values["title"][:200]
    label = str(DocumentKind(kind).label)
    if values["date"]:
        return f"{label}, {formats.date_format(date.fromisoformat(values['date']), 'SHORT_DATE_FORMAT')}"
    return label
