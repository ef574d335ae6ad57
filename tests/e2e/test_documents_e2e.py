"""Documents in a real browser at 360 and 1280 px: the cabinet's list with PDF and preview, the console's
client documents and the template editor's preview with sample data and a compile error by line."""

from __future__ import annotations

import pytest

from abonent.documents import samples
from abonent.documents.models import DocumentKind, DocumentTemplate, FolderCategory, FolderRule
from abonent.documents.services import archive_document, install_shipped_templates
from tests.documents.conftest import bill_payload_for
from tests.e2e.conftest import screenshot
from tests.e2e.test_shell_screenshots import OVERFLOW, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def documents(account):  # type: ignore[no-untyped-def]
    """Two months of bills, a letter and a debt notice of the customer's account."""
    install_shipped_templates()  # a transactional test's flush erased the migration's templates and rules
    FolderRule.objects.create(priority=10, document_kind=DocumentKind.BILL, folder=FolderCategory.BILLS)
    archived = [
        archive_document(
            kind=DocumentKind.BILL,
            data=bill_payload_for(account, seed=month, period=f"2026-{month:02d}"),
            customer=account.customer,
            account=account,
            period=f"2026-{month:02d}-01",
        )
        for month in (9, 10)
    ]
    for kind in (DocumentKind.LETTER, DocumentKind.DEBT_NOTICE):
        data = samples.sample_data(kind) | {"payer": bill_payload_for(account)["payer"]}
        archived.append(archive_document(kind=kind, data=data, customer=account.customer, account=account))
    return archived


def test_cabinet_lists_documents_and_opens_a_bill(live_server, page, customer, account, documents) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url, customer.phone)
    page.goto(f"{live_server.url}/cabinet/documents/")
    rows = page.get_by_test_id("document")
    assert rows.count() == 4
    assert page.locator(".main-nav [aria-current=page]").inner_text().strip() == "Документы"
    text = page.get_by_test_id("documents").inner_text()
    assert "Уведомление о задолженности" in text and "Письмо" in text
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "documents-cabinet")

    bill = documents[1]
    response = page.request.get(f"{live_server.url}/cabinet/documents/{bill.pk}.pdf")
    assert response.status == 200 and response.body().startswith(b"%PDF")
    page.goto(f"{live_server.url}/cabinet/documents/{bill.pk}.png")
    assert page.locator("img").count() == 1


def test_console_shows_the_clients_documents(live_server, page, operator, account, documents) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url, operator.username)
    page.goto(f"{live_server.url}/console/documents/accounts/{account.pk}/")
    assert page.get_by_role("link", name="PDF").count() == 4
    assert page.get_by_test_id("documents").inner_text().count("Счета") == 2  # the bills' folder, by label
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "documents-console-client")


def test_template_editor_previews_and_shows_errors_by_line(live_server, page, admin) -> None:  # type: ignore[no-untyped-def]
    install_shipped_templates()
    bill = DocumentTemplate.objects.get(kind=DocumentKind.BILL, version=1)
    sign_in(page, live_server.url, admin.username)
    page.goto(f"{live_server.url}/console/documents/templates/{bill.pk}/")
    preview = page.get_by_test_id("template-preview")
    preview.wait_for()
    assert preview.evaluate("img => img.naturalWidth") > 500
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "documents-template-preview")

    source = page.locator("textarea")
    source.fill(source.input_value().replace("#d.number]", "#d.number", 1))
    page.get_by_role("button", name="Просмотр на примере").click()
    error = page.get_by_test_id("compile-error")
    error.wait_for()
    assert "Строки" in error.inner_text()
    assert page.locator(".error-lines li.bad").count() >= 1
    screenshot(page, "documents-template-error")
    assert page.evaluate(OVERFLOW) <= 0
