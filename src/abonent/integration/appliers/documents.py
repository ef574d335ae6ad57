"""Apply a documents manifest: each listed file goes into the account's client folders in the archive.

The files are stored by documents' own `store_attachment` (source "legacy"; the folder rules choose the
folder by the document's kind), so the customer sees them on the cabinet's documents page. A file is
judged by its bytes: only PDF and common images are taken, whatever its name says. Each document id
remembers the SHA-256 of its file: the same file again is "unchanged"; another file under the same id
replaces the stored one (documents keep no versions of a file), and the audit log names the old file.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import filetype
from django.conf import settings
from django.utils import formats

from abonent.customers.models import Account
from abonent.documents.attachments import SNIFF_BYTES, replace_attachment_file, store_attachment
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
    account: Account
    kind: int
    title: str
    name: str
    data: bytes
    sha256: str


class DocumentApplier(UpsertApplier[DocumentRow]):
    record_kind = "document"
    folder: Path | None = None
    _located = False

    def prepare(self, values: list[dict[str, str]]) -> None:
        super().prepare(values)
        if not self._located:  # once per run: where the manifest's files are
            run = ImportRun.objects.select_related("profile").filter(pk=self.run_id or 0).first()
            self.folder = manifest_folder(run) if run is not None else None
            self._located = True

    def parse(self, values: dict[str, str]) -> DocumentRow:
        reasons: list[str] = []
        account = self.account(values)
        if account is None:
            reasons.append("unknown_account")
        kind = document_kind(values["document_type"])
        if kind is None:
            reasons.append("unknown_document_type")
        data, content_type = self._read(values, reasons)
        if reasons or account is None or kind is None:
            raise RowRefused(reasons)
        digest = hashlib.sha256(data).hexdigest()
        return DocumentRow(
            digest=stable_hash(f"{account.number}\x1f{digest}"),
            account=account,
            kind=kind,
            title=_title(values, kind),
            name=Path(values["file"].replace("\\", "/")).stem[:200] + ACCEPTED_TYPES[content_type],
            data=data,
            sha256=digest,
        )

    def upsert(self, parsed: DocumentRow, target_id: int | None) -> tuple[str, int | None]:
        stored = Attachment.objects.filter(pk=target_id).first() if target_id else None
        try:
            if stored is None:
                return CREATED, self._store(parsed).pk
            if stored.account_id != parsed.account.pk:
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
            customer=parsed.account.customer,
            account=parsed.account,
            title=parsed.title,
            upload=io.BytesIO(parsed.data),
            source=AttachmentSource.LEGACY,
            name=parsed.name,
            kind=parsed.kind,
        )

    def _read(self, values: dict[str, str], reasons: list[str]) -> tuple[bytes, str]:
        """Return the listed file's bytes and sniffed type, or add why it cannot be taken to the reasons."""
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
        guessed = filetype.guess(data[:SNIFF_BYTES]) if data else None
        if guessed is None or guessed.mime not in ACCEPTED_TYPES:
            reasons.append("unsupported_file_type" if data else "file_empty")
            return b"", ""
        return data, guessed.mime

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
