"""Translate domain errors to JSON responses in one place."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema

from abonent.core.errors import Conflict, DomainError, NotFound, PermissionDenied


class ErrorOut(Schema):
    """The body of every error answer: a stable code for programs and a translated sentence for people."""

    code: str
    detail: str


_STATUS = {NotFound: 404, PermissionDenied: 403, Conflict: 409}


def install_error_handlers(api: NinjaAPI) -> None:
    def handle_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)
        return api.create_response(request, {"code": exc.code, "detail": exc.message}, status=status)

    api.add_exception_handler(DomainError, handle_domain_error)
