"""API operations of documents (mounted at /api/v1/documents), for the cabinet's apps and integrations.

- GET /accounts/{account_id}          the account's documents, newest first (metadata)
- GET /{document_id}                  one document's metadata and its canonical data
- GET /{document_id}/pdf              the document rendered as PDF
- GET /{document_id}/png              its first page as PNG

A bearer token acts as its user: it reaches the documents of the accounts that user may see, and a
foreign document is "not found".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from abonent.documents.models import KIND_SLUGS, ArchivedDocument
from abonent.documents.selectors import (
    document_data,
    document_for_user,
    documents_for_accounts,
    render_document,
)
from abonent.identity.selectors import AccountAction, account_for_action, accounts_for_user

router = Router(tags=["documents"])
LIST_LIMIT = 200


class DocumentOut(Schema):
    id: int
    kind: str = Field(description="bill, reconciliation_act, debt_notice, contract, appeal_answer, ...")
    account_id: int | None
    period: date | None
    issued_at: datetime
    template_version_id: int
    sha256: str = Field(description="SHA-256 of the canonical JSON data, hex")


class DocumentDetailOut(DocumentOut):
    data: dict[str, Any]


def _out(document: ArchivedDocument) -> dict[str, Any]:
    return {
        "id": document.pk,
        "kind": KIND_SLUGS[document.kind],
        "account_id": document.account_id,
        "period": document.period,
        "issued_at": document.created_at,
        "template_version_id": document.template_id,
        "sha256": bytes(document.sha256).hex(),
    }


@router.get("/accounts/{account_id}", response=list[DocumentOut], summary="An account's documents")
def account_documents(request: HttpRequest, account_id: int) -> list[dict[str, Any]]:
    account = account_for_action(user=request.user, account_id=account_id, action=AccountAction.VIEW)
    scope = accounts_for_user(user=request.user).filter(pk=account.pk)
    return [_out(d) for d in documents_for_accounts(accounts=scope)[:LIST_LIMIT]]


@router.get("/{document_id}", response=DocumentDetailOut, summary="A document with its data")
def document_detail(request: HttpRequest, document_id: int) -> dict[str, Any]:
    document = document_for_user(user=request.user, document_id=document_id)
    return {**_out(document), "data": document_data(document=document)}


@router.get("/{document_id}/pdf", summary="A document as PDF", response={200: None})
def document_pdf(request: HttpRequest, document_id: int) -> HttpResponse:
    document = document_for_user(user=request.user, document_id=document_id)
    return HttpResponse(render_document(document=document), content_type="application/pdf")


@router.get("/{document_id}/png", summary="A document's first page as PNG", response={200: None})
def document_png(request: HttpRequest, document_id: int) -> HttpResponse:
    document = document_for_user(user=request.user, document_id=document_id)
    return HttpResponse(render_document(document=document, fmt="png"), content_type="image/png")
