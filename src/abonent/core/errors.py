"""The one base for domain errors: a code for machines, a translated message for people."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    default_message = _("The operation could not be completed.")

    def __init__(self, message: str | None = None, **params: object) -> None:
        self.message = message or str(self.default_message)
        self.params = params
        super().__init__(self.message)


class NotFound(DomainError):
    code = "not_found"
    default_message = _("Not found.")


class Conflict(DomainError):
    """The operation met a concurrent change it could not settle; trying again later may succeed."""

    code = "conflict"
    default_message = _("Someone else is changing this right now. Please try again in a moment.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    default_message = _("You have no access to this.")
