"""Errors of the documents area, each with a code and a translated message."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from abonent.core.errors import DomainError, NotFound


class DocumentNotFound(NotFound):
    code = "document_not_found"
    default_message = _("Document not found.")


class TemplateNotFound(NotFound):
    code = "template_not_found"
    default_message = _("No published template for this kind of document.")


class TemplatePublished(DomainError):
    code = "template_published"
    default_message = _("A published template version cannot be changed; create a new version.")


class TemplateCompileError(DomainError):
    """Typst refused the template; `lines` holds the line numbers it complained about."""

    code = "template_compile_error"
    default_message = _("The template does not compile.")

    def __init__(self, message: str | None = None, *, lines: list[int] | None = None, **params: object):
        super().__init__(message, **params)
        self.lines = lines or []


class ArchiveCorrupted(DomainError):
    code = "archive_corrupted"
    default_message = _("The archived document's data does not match its checksum.")


class AttachmentRefused(DomainError):
    code = "attachment_refused"
    default_message = _("This file cannot be accepted.")


class RunNotResumable(DomainError):
    code = "run_not_resumable"
    default_message = _("This composition run has finished; nothing to resume.")
