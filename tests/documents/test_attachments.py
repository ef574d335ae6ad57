"""Attachments: type from the bytes, risky files refused with a reason, folders by rules."""

from __future__ import annotations

import io

import pytest
from django.utils import translation

from abonent.documents.attachments import store_attachment
from abonent.documents.errors import AttachmentRefused
from abonent.documents.models import Attachment, ClientFolder, FolderCategory, FolderRule
from tests.documents.helpers import MINIMAL_PDF, office_file

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    settings.DOCUMENT_UPLOAD_MAX_BYTES = 10_000


def _store(account, data: bytes, name: str, *, title="Скан", source="customer") -> Attachment:
    return store_attachment(
        customer=account.customer,
        account=account,
        title=title,
        upload=io.BytesIO(data),
        source=source,
        name=name,
    )


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("setup.exe", b"MZ\x90\x00", "могут содержать программы"),
        ("scan.pdf", b"MZ\x90\x00binary", "программа или скрипт"),
        ("page.pdf", b"<!DOCTYPE html><html><script>alert(1)</script>", "со скриптами"),
        ("image.svg", b"<svg onload='x()'/>", "могут содержать программы"),
        ("report.docx", office_file(macros=True), "с макросами"),
        ("photo.pdf", PNG, "не соответствует его имени"),
        ("notes.txt", b"hello", "не принимаются"),
        ("big.pdf", MINIMAL_PDF + b"0" * 20_000, "Файл больше"),
        ("empty.pdf", b"", "пустой"),
    ],
)
def test_risky_or_wrong_files_are_refused_with_the_reason(account, name, data, reason) -> None:
    with pytest.raises(AttachmentRefused) as refused:
        _store(account, data, name)
    assert reason in refused.value.message
    assert not Attachment.objects.exists()


def test_the_english_message_is_translated_too(account) -> None:
    with translation.override("en"), pytest.raises(AttachmentRefused) as refused:
        _store(account, b"MZ", "tool.exe")
    assert refused.value.message == "Files of type .exe can carry programs or scripts and are not accepted."


def test_accepted_files_go_to_the_folder_the_rules_choose(account) -> None:
    scan = _store(account, MINIMAL_PDF, "scan.pdf", title="Договор энергоснабжения")
    photo = _store(account, PNG, "meter.png", title="Фото прибора учёта")
    document = _store(account, office_file(macros=False), "letter.docx", title="Письмо", source="staff")

    assert (scan.content_type, scan.folder.category) == ("application/pdf", FolderCategory.CONTRACTS)
    assert (photo.content_type, photo.folder.category) == ("image/png", FolderCategory.APPLICATIONS)
    assert document.folder.category == FolderCategory.LETTERS
    assert set(
        ClientFolder.objects.filter(customer=account.customer).values_list("category", flat=True)
    ) == set(FolderCategory.values)
    assert scan.file.read() == MINIMAL_PDF

    FolderRule.objects.create(priority=1, attachment_source="customer", folder=FolderCategory.ANSWERS)
    assert _store(account, PNG, "again.png").folder.category == FolderCategory.ANSWERS
