"""Attachments: files of a client (scans, uploads, signed files, legacy imports) in the blob store.

The type is read from the bytes (`filetype`), never trusted from the name or the browser; a file
whose bytes and name disagree, an executable or script, HTML, an SVG with script, and an office file
with macros are refused with a message that says why. Files go to Django's default storage: the
filesystem by default, an S3-compatible bucket in production (FILE_STORAGE=s3).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import IO

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

from abonent.core.audit import record_audit_event
from abonent.core.models import AuditEvent
from abonent.customers.models import Account, Customer
from abonent.documents.errors import AttachmentRefused
from abonent.documents.models import Attachment, ClientFolder
from abonent.documents.selectors import active_rules, folder_for
from abonent.documents.services import create_client_folders
from abonent.identity.models import User

SNIFF_BYTES = 256 * 1024
ZIP_OFFICE = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
ALLOWED: dict[str, str] = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "heic": "image/heic",
    "webp": "image/webp",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    **ZIP_OFFICE,
}
RISKY_EXTENSIONS = {
    "exe", "dll", "com", "bat", "cmd", "msi", "scr", "pif", "cpl", "js", "mjs", "jse", "vbs", "vbe", "wsf",
    "ps1", "psm1", "jar", "sh", "hta", "html", "htm", "xhtml", "shtml", "svg", "svgz", "docm", "dotm",
    "xlsm", "xltm", "xlam", "pptm", "potm", "ppsm", "lnk", "iso", "apk", "reg",
}  # fmt: skip
_ACTIVE_MARKUP = re.compile(rb"<script|javascript:|\son[a-z]+\s*=|<iframe|<object|<embed", re.IGNORECASE)
_HTML = re.compile(rb"^\s*(<!doctype html|<html|<head|<body|<script|<svg)", re.IGNORECASE)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_MACROS = ("_VBA_PROJECT".encode("utf-16-le"), "Macros".encode("utf-16-le"), "VBA".encode("utf-16-le"))


def _refuse(message: str) -> AttachmentRefused:
    return AttachmentRefused(message)


def sniff(*, name: str, head: bytes, whole: bytes | None = None) -> str:
    """Return the content type of an acceptable file, or raise AttachmentRefused saying why not."""
    extension = Path(name).suffix.lower().lstrip(".")
    if extension in RISKY_EXTENSIONS:
        raise _refuse(
            gettext("Files of type .%(ext)s can carry programs or scripts and are not accepted.")
            % {"ext": extension}
        )
    if head.startswith((b"MZ", b"\x7fELF", b"#!")):
        raise _refuse(gettext("This file is a program or a script; such files are not accepted."))
    if _HTML.match(head) or (head.lstrip().startswith(b"<?xml") and b"<svg" in head[:4096].lower()):
        if _ACTIVE_MARKUP.search(head) or b"<svg" not in head[:4096].lower():
            raise _refuse(
                gettext("Web pages and images with scripts are not accepted; send a PDF or a photo.")
            )
        raise _refuse(gettext("SVG images are not accepted; send a PDF, JPEG or PNG."))
    if extension not in ALLOWED:
        raise _refuse(
            gettext("Files of type .%(ext)s are not accepted. Send PDF, JPEG, PNG, TIFF, DOCX, XLSX or ODT.")
            % {"ext": extension or "?"}
        )
    if extension in ZIP_OFFICE:
        content_type = _office_type(extension, whole or head)
    elif head.startswith(_OLE):
        _refuse_ole_macros(whole or head)
        content_type = ALLOWED[extension] if extension in {"doc", "xls"} else None
    else:
        guessed = filetype.guess(head)
        content_type = guessed.mime if guessed else None
    if content_type is None or not _agrees(content_type, ALLOWED[extension]):
        raise _refuse(gettext("The file's contents do not match its name (.%(ext)s).") % {"ext": extension})
    return content_type


def _agrees(found: str, expected: str) -> bool:
    aliases = {"image/jpg": "image/jpeg", "image/heif": "image/heic"}
    return aliases.get(found, found) == expected


def _office_type(extension: str, data: bytes) -> str | None:
    """Return the type of a zip-based office file, refusing one that carries macros."""
    if extension not in ZIP_OFFICE:
        return None
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return None
    if any(name.lower().endswith("vbaproject.bin") or "macros/" in name.lower() for name in names):
        raise _refuse(gettext("Office files with macros are not accepted; save it without macros or as PDF."))
    return ZIP_OFFICE[extension]


def _refuse_ole_macros(data: bytes) -> None:
    if any(marker in data for marker in _OLE_MACROS):
        raise _refuse(gettext("Office files with macros are not accepted; save it without macros or as PDF."))


def _read_checked(upload: IO[bytes], *, name: str) -> tuple[bytes, str]:
    limit = settings.DOCUMENT_UPLOAD_MAX_BYTES
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _refuse(gettext("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)})
    if not data:
        raise _refuse(gettext("The file is empty."))
    return data, sniff(name=name, head=data[:SNIFF_BYTES], whole=data)


@transaction.atomic
def store_attachment(
    *,
    customer: Customer,
    title: str,
    upload: IO[bytes],
    source: str,
    account: Account | None = None,
    uploaded_by: User | None = None,
    name: str | None = None,
    kind: int | None = None,
) -> Attachment:
    """Check and store a file in the client's folder that the folder rules choose (by kind when known)."""
    original = name or getattr(upload, "name", "") or "file"
    data, content_type = _read_checked(upload, name=original)
    create_client_folders(customer=customer)
    category = folder_for(rules=active_rules(), kind=kind, source=source, title=title)
    folder = ClientFolder.objects.get(customer=customer, category=category)
    attachment = Attachment(
        customer=customer,
        account=account,
        folder=folder,
        title=title[:200],
        original_name=Path(original).name[:255],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        source=source,
        uploaded_by=uploaded_by,
    )
    extension = Path(original).suffix.lower()
    attachment.file.save(f"{customer.pk}-{attachment.sha256[:16]}{extension}", ContentFile(data), save=False)
    attachment.save()
    return attachment


@transaction.atomic
def replace_attachment_file(
    *, attachment: Attachment, upload: IO[bytes], name: str, reason: str, replaced_by: User | None = None
) -> Attachment:
    """Check a corrected file and put it in place of the attachment's; the audit log keeps the old one.

    The old file stays in storage (its name and SHA-256 are in the audit event), so nothing is lost.
    """
    data, content_type = _read_checked(upload, name=name)
    digest, old_sha256, old_file = hashlib.sha256(data).hexdigest(), attachment.sha256, attachment.file.name
    attachment.original_name, attachment.content_type = Path(name).name[:255], content_type
    attachment.size, attachment.sha256 = len(data), digest
    stored = f"{attachment.customer_id}-{digest[:16]}{Path(name).suffix.lower()}"
    attachment.file.save(stored, ContentFile(data), save=False)
    changes = {"sha256": [old_sha256, digest], "file": [old_file, attachment.file.name]}
    attachment.save(update_fields=["original_name", "content_type", "size", "sha256", "file"])
    record_audit_event(
        actor=replaced_by, action=AuditEvent.Action.UPDATE, target=attachment, reason=reason, changes=changes
    )
    return attachment


def attachment_response(attachment: Attachment) -> FileResponse:
    """Return the stored file; it never runs in the browser (attachment disposition, no sniffing)."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
