"""Cabinet, console and API retrieval of documents; the console's template editor; strangers see nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from abonent.billing.models import Bill
from abonent.billing.services.charge_run import run_pending_chunks, start_charge_run
from abonent.core.models import AuditEvent
from abonent.documents.models import ArchivedDocument, DocumentKind, DocumentTemplate
from abonent.identity.services import issue_api_token
from tests.billing.charge_setup import OCTOBER, build_example
from tests.documents.helpers import attachment_on, document_on
from tests.factories import BranchFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }


def test_cabinet_lists_the_accounts_documents_and_serves_pdf_and_png(
    client_for, customer, tenant, account
) -> None:
    document = document_on(account)
    for user in (customer, tenant):
        client = client_for(user)
        page = client.get(reverse("documents:index"))
        assert page.status_code == 200
        assert reverse("documents:pdf", args=[document.pk]) in page.content.decode()
        pdf = client.get(reverse("documents:pdf", args=[document.pk]))
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        assert client.get(reverse("documents:png", args=[document.pk])).content.startswith(b"\x89PNG")


def test_stranger_gets_not_found_and_an_empty_list(client_for, stranger, customer, account, media) -> None:
    document, attachment = document_on(account), attachment_on(account)
    client = client_for(stranger)
    assert (
        reverse("documents:pdf", args=[document.pk])
        not in client.get(reverse("documents:index")).content.decode()
    )
    for url in (
        reverse("documents:pdf", args=[document.pk]),
        reverse("documents:png", args=[document.pk]),
        reverse("documents:attachment", args=[attachment.pk]),
        reverse("console_documents:client", args=[account.pk]),
        reverse("console_documents:pdf", args=[document.pk]),
        f"/api/v1/documents/{document.pk}",
        f"/api/v1/documents/{document.pk}/pdf",
        f"/api/v1/documents/accounts/{account.pk}",
    ):
        response = client.get(url)
        assert response.status_code in (302, 404), url
        assert account.number.encode() not in response.content


def test_console_shows_a_clients_documents_and_folders_and_audits_it(
    client_for, operator, account, media
) -> None:
    document_on(account)
    attachment_on(account)
    response = client_for(operator).get(reverse("console_documents:client", args=[account.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Счета" in body and "Договоры" in body  # folders by category, created with the client
    assert "Скан договора" in body
    assert AuditEvent.objects.filter(
        actor=operator, action=AuditEvent.Action.VIEW, reason__contains="documents"
    ).exists()

    outsider = StaffUserFactory(staff_role="operator", branch=BranchFactory())
    assert client_for(outsider).get(reverse("console_documents:client", args=[account.pk])).status_code == 404


def test_console_account_card_links_to_the_accounts_documents(client_for, operator, account) -> None:
    body = client_for(operator).get(reverse("console:account", args=[account.pk])).content.decode()

    href = reverse("console_documents:client", args=[account.pk])
    assert href == f"/console/documents/accounts/{account.pk}/"
    assert f'href="{href}"' in body
    assert client_for(operator).get(href).status_code == 200


def test_api_token_reads_only_its_users_documents(client, customer, stranger, account) -> None:
    document = document_on(account)
    _, raw = issue_api_token(user=customer, name="integration", scopes=["documents"])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    detail = client.get(f"/api/v1/documents/{document.pk}", **headers).json()
    assert detail["kind"] == "bill" and detail["data"]["payer"]["account_number"] == account.number
    assert client.get(f"/api/v1/documents/{document.pk}/pdf", **headers).content.startswith(b"%PDF")
    listed = client.get(f"/api/v1/documents/accounts/{account.pk}", **headers).json()
    assert [row["id"] for row in listed] == [document.pk]

    _, foreign = issue_api_token(user=stranger, name="other", scopes=["documents"])
    response = client.get(f"/api/v1/documents/{document.pk}", HTTP_AUTHORIZATION=f"Bearer {foreign}")
    assert response.status_code == 404 and response.json()["code"] == "document_not_found"


BROKEN = "#let d = json(bytes(sys.inputs.data))\n= Счёт\n#d.number\n#undefined_function(1)\n"


def test_template_editor_previews_shows_errors_with_lines_and_publishes_immutably(client_for, admin) -> None:
    client = client_for(admin)
    shipped = DocumentTemplate.objects.get(kind=DocumentKind.LETTER, version=1)
    url = reverse("console_documents:template", args=[shipped.pk])

    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="template-preview"' in page.content.decode()

    broken = client.post(url, {"source": BROKEN, "action": "preview"}).content.decode()
    assert 'data-testid="compile-error"' in broken and "4: #undefined_function(1)" in broken

    source = shipped.source.replace("#d.greeting", "#d.greeting\n\nНовый абзац шаблона.")
    response = client.post(url, {"source": source, "note": "абзац", "action": "save_new"})
    draft = DocumentTemplate.objects.get(kind=DocumentKind.LETTER, version=2)
    assert response.status_code == 302 and draft.status == DocumentTemplate.Status.DRAFT

    client.post(reverse("console_documents:template_publish", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == DocumentTemplate.Status.PUBLISHED
    client.post(reverse("console_documents:template", args=[draft.pk]), {"source": BROKEN, "action": "save"})
    draft.refresh_from_db()
    assert "Новый абзац" in draft.source


def test_template_editor_is_for_administrators_only(client_for, operator, stranger) -> None:
    template = DocumentTemplate.objects.first()
    assert (
        client_for(operator).get(reverse("console_documents:template", args=[template.pk])).status_code == 403
    )
    assert client_for(stranger).get(reverse("console_documents:templates")).status_code == 302


def test_a_bills_pdf_is_archived_once_and_only_for_who_may_see_the_bill(
    client_for, customer, stranger, account
) -> None:
    build_example(account)
    run_pending_chunks(run=start_charge_run(branch=account.branch, period=OCTOBER, enqueue=False))
    bill = Bill.objects.get(account=account, period=OCTOBER.start)
    url = reverse("documents:bill_pdf", args=[bill.pk])

    first = client_for(customer).get(url + "?download=1")
    again = client_for(customer).get(url)

    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    disposition = first["Content-Disposition"]
    assert disposition.startswith("attachment;") and bill.number in disposition
    assert ArchivedDocument.objects.filter(kind=DocumentKind.BILL, source_id=bill.pk).count() == 1
    assert again.content == first.content  # rendered again from the archive: the same bytes
    assert client_for(stranger).get(url).status_code == 404
    detail = client_for(customer).get(reverse("bills:detail", args=[bill.pk])).content.decode()
    assert url in detail
