"""The cabinet's documents: every document of the accounts the login may see, as PDF or a PNG preview,
and the files in the clients' folders."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

from abonent.billing.selectors import bill_for_user
from abonent.customers.selectors import account_cards
from abonent.documents import attachments as attachment_service
from abonent.documents.composition import bill_document
from abonent.documents.models import Attachment, DocumentKind
from abonent.documents.selectors import (
    attachment_for_user,
    document_for_user,
    documents_for_accounts,
    render_document,
)
from abonent.identity.selectors import accounts_for_user
from abonent.metering.forms import domain_errors_as_http

PAGE_SIZE = 30


@login_required
def index(request: HttpRequest) -> HttpResponse:
    accounts = account_cards(accounts=accounts_for_user(user=request.user))
    chosen = request.GET.get("account", "")
    scope = accounts.filter(pk=chosen) if chosen.isdigit() else accounts
    kind = request.GET.get("kind", "")
    documents = documents_for_accounts(accounts=scope).select_related("account")
    if kind.isdigit():
        documents = documents.filter(kind=int(kind))
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    files = Attachment.objects.filter(customer__in=scope.values("customer_id")).order_by("-created_at")[
        :PAGE_SIZE
    ]
    context = {
        "page": page,
        "accounts": list(accounts[:50]),
        "chosen": chosen,
        "kinds": DocumentKind.choices,
        "kind": kind,
        "files": files,
    }
    return render(request, "portal/documents/index.html", context)


@login_required
def document_file(request: HttpRequest, document_id: int, fmt: str) -> HttpResponse:
    with domain_errors_as_http():
        document = document_for_user(user=request.user, document_id=document_id)
        content = render_document(document=document, fmt=fmt)
    response = HttpResponse(content, content_type="image/png" if fmt == "png" else "application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="document-{document.pk}.{fmt}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def bill_file(request: HttpRequest, bill_id: int) -> HttpResponse:
    """Return the PDF of one of the login's bills (archived on first request if no run composed it)."""
    with domain_errors_as_http():
        bill = bill_for_user(user=request.user, bill_id=bill_id)
        document = bill_document(bill=bill)
        content = render_document(document=document)
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="bill-{bill.number}.pdf"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def attachment_file(request: HttpRequest, attachment_id: int) -> FileResponse:
    with domain_errors_as_http():
        attachment = attachment_for_user(user=request.user, attachment_id=attachment_id)
    return attachment_service.attachment_response(attachment)
