"""Errors of the integration area: each with a code for machines and a translated message for people."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from abonent.core.errors import DomainError, NotFound, PermissionDenied


class UnreadableFile(DomainError):
    code = "unreadable_file"
    default_message = _("The file could not be read as CSV or a workbook.")

    def __init__(self, message: str | None = None, *, detail: str = "") -> None:
        super().__init__(message, detail=detail)
        if detail:
            self.message = f"{self.message} ({detail})"


class MissingColumns(DomainError):
    code = "missing_columns"
    default_message = _("The file lacks required columns.")

    def __init__(self, columns: list[str]) -> None:
        super().__init__(
            str(_("The file lacks required columns: %(columns)s.")) % {"columns": ", ".join(columns)}
        )
        self.columns = columns


class UnsupportedKind(DomainError):
    code = "unsupported_kind"
    default_message = _("Files of this kind cannot be imported yet.")


class RunNotResumable(DomainError):
    code = "run_not_resumable"
    default_message = _("This import run has already finished.")


class RowNotQuarantined(DomainError):
    code = "row_not_quarantined"
    default_message = _("This row is not in quarantine.")


class SourceNotFound(NotFound):
    code = "source_not_found"
    default_message = _("No such source system.")


class ScopeMissing(PermissionDenied):
    code = "scope_missing"
    default_message = _("The token has no right to do this for this source system.")


class BadCursor(DomainError):
    code = "bad_cursor"
    default_message = _("The cursor is not one this API gave out.")


class ImportNotFound(NotFound):
    code = "import_not_found"
    default_message = _("No such import for this source system.")


class UnknownFields(DomainError):
    code = "unknown_fields"
    default_message = _("The rows name fields this kind does not have.")

    def __init__(self, names: list[str], allowed: list[str]) -> None:
        super().__init__(
            str(_("Unknown fields: %(names)s. Allowed: %(allowed)s."))
            % {"names": ", ".join(names), "allowed": ", ".join(allowed)}
        )
