"""A documents manifest imported: each listed file lands in the account's folders, checked by its bytes."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from abonent.core.models import AuditEvent
from abonent.documents.attachments import store_attachment as real_store_attachment
from abonent.documents.models import Attachment, AttachmentSource, FolderCategory
from abonent.integration.fields import FileKind
from abonent.integration.folders import scan_watched_folders
from abonent.integration.models import ImportProfile, ImportRun, QuarantinedRow, SourceRecord
from abonent.integration.reasons import describe_reason
from abonent.integration.services import run_import, start_import
from tests.documents.helpers import MINIMAL_PDF, office_file
from tests.factories import make_inn

pytestmark = pytest.mark.django_db

HEADER = "Код документа;ЛС;Тип документа;Дата;Название;Файл;SHA-256"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }


@pytest.fixture
def folder(tmp_path) -> Path:
    path = tmp_path / "export"
    (path / "scans").mkdir(parents=True)
    (path / "bill-2025-01.pdf").write_bytes(MINIMAL_PDF)
    (path / "scans" / "contract.png").write_bytes(PNG)
    return path


@pytest.fixture
def documents_profile(profile_for, folder, settings) -> ImportProfile:
    settings.INTEGRATION_WATCH_ROOTS = [str(folder.parent)]
    return profile_for(FileKind.DOCUMENTS, watch_folder=str(folder))


def _manifest(folder: Path, lines: list[str], name: str = "manifest.csv") -> Path:
    path = folder / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8-sig")
    return path


def _run(profile: ImportProfile, path: Path, channel: str = ImportRun.Channel.FOLDER, **options) -> ImportRun:
    with transaction.atomic():
        started = start_import(profile=profile, path=path, channel=channel, enqueue=False)
    return run_import(run_id=started.pk, **options)


def test_listed_files_go_to_the_accounts_folders(documents_profile, folder, account):
    digest = hashlib.sha256(MINIMAL_PDF).hexdigest()
    path = _manifest(
        folder,
        [
            f"B-1;{account.number};Счёт;05.02.2025;Счёт за январь 2025;bill-2025-01.pdf;{digest.upper()}",
            f"C-1;{account.number};договор;01.01.2020;;scans\\contract.png;",
        ],
    )

    run = _run(documents_profile, path)

    assert (run.applied, run.quarantined) == (2, 0)
    bill = Attachment.objects.get(title="Счёт за январь 2025")
    assert (bill.account, bill.customer, bill.source) == (account, account.customer, AttachmentSource.LEGACY)
    assert (bill.content_type, bill.sha256, bill.folder.category) == (
        "application/pdf",
        digest,
        FolderCategory.BILLS,
    )
    contract = Attachment.objects.get(original_name="contract.png")
    assert contract.folder.category == FolderCategory.CONTRACTS
    assert contract.title == "Договор, 01.01.2020"  # no title given: the kind and the date


def test_office_documents_are_taken_and_macros_are_not(documents_profile, folder, account):
    (folder / "act.docx").write_bytes(office_file(macros=False))
    (folder / "macro.docx").write_bytes(office_file(macros=True))
    path = _manifest(
        folder,
        [f"A-1;{account.number};contract;;Договор;act.docx;", f"A-2;{account.number};contract;;;macro.docx;"],
    )

    run = _run(documents_profile, path)

    assert (run.applied, run.quarantined) == (1, 1)
    assert Attachment.objects.get().content_type.endswith("wordprocessingml.document")
    assert QuarantinedRow.objects.get(run=run).reasons == ["unsupported_file_type"]


def test_the_same_manifest_again_changes_nothing(documents_profile, folder, account):
    path = _manifest(folder, [f"B-1;{account.number};bill;;;bill-2025-01.pdf;"])
    _run(documents_profile, path)

    again = _run(documents_profile, path)

    assert (again.applied, again.updated, again.unchanged) == (0, 0, 1)
    assert Attachment.objects.count() == 1


def test_another_file_under_the_same_id_replaces_the_stored_one_with_an_audit_entry(
    documents_profile, folder, account
):
    path = _manifest(folder, [f"B-1;{account.number};bill;;Счёт;bill-2025-01.pdf;"])
    _run(documents_profile, path)
    stored = Attachment.objects.get()
    old_sha, old_file = stored.sha256, stored.file.name
    corrected = MINIMAL_PDF + b"% corrected\n"
    (folder / "bill-2025-01.pdf").write_bytes(corrected)

    run = _run(
        documents_profile, _manifest(folder, [f"B-1;{account.number};bill;;Счёт;bill-2025-01.pdf;"], "m2.csv")
    )

    assert (run.applied, run.updated) == (0, 1)
    stored.refresh_from_db()
    assert stored.sha256 == hashlib.sha256(corrected).hexdigest() and Attachment.objects.count() == 1
    event = AuditEvent.objects.get(object_type="documents.Attachment", object_id=str(stored.pk))
    assert event.changes["sha256"] == [old_sha, stored.sha256] and event.changes["file"][0] == old_file


@pytest.mark.parametrize(
    ("file", "reasons"),
    [
        ("nothing-here.pdf", ["file_missing"]),
        ("../secret.pdf", ["file_outside_folder"]),
        ("scans/../../secret.pdf", ["file_outside_folder"]),
        ("/etc/passwd", ["file_outside_folder"]),
        ("C:\\export\\bill.pdf", ["file_outside_folder"]),
        ("link.pdf", ["file_outside_folder"]),
        ("notes.pdf", ["unsupported_file_type"]),
        ("program.pdf", ["unsupported_file_type"]),
        ("empty.pdf", ["file_empty"]),
        ("big.pdf", ["file_too_large"]),
    ],
)
def test_files_that_cannot_be_taken_are_quarantined_with_the_reason(
    documents_profile, folder, tmp_path, account, settings, file, reasons
):
    settings.DOCUMENT_UPLOAD_MAX_BYTES = 1000
    (tmp_path / "secret.pdf").write_bytes(MINIMAL_PDF)
    (folder / "link.pdf").symlink_to(tmp_path / "secret.pdf")
    (folder / "notes.pdf").write_text("just text, not a PDF", encoding="utf-8")
    (folder / "program.pdf").write_bytes(b"MZ\x90\x00" + b"\x00" * 200)
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "big.pdf").write_bytes(MINIMAL_PDF + b"%" * 1000)

    run = _run(documents_profile, _manifest(folder, [f"X-1;{account.number};bill;;;{file};"]))

    row = QuarantinedRow.objects.get(run=run)
    assert row.reasons == reasons
    assert all(describe_reason(code) != code for code in reasons)
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("line", "reasons"),
    [
        ("X-1;6600999999;bill;;;bill-2025-01.pdf;", ["unknown_account"]),
        ("X-1;{account};накладная;;;bill-2025-01.pdf;", ["unknown_document_type"]),
        ("X-1;{account};bill;;;bill-2025-01.pdf;" + "0" * 64, ["checksum_mismatch"]),
        ("X-1;{account};bill;;;;", ["missing_required:file"]),
    ],
)
def test_rows_that_cannot_be_bound_are_quarantined(documents_profile, folder, account, line, reasons):
    run = _run(documents_profile, _manifest(folder, [line.format(account=account.number)]))

    assert QuarantinedRow.objects.get(run=run).reasons == reasons
    assert not Attachment.objects.exists()


def test_a_manifest_uploaded_without_its_files_says_so(documents_profile, folder, account):
    path = _manifest(folder, [f"B-1;{account.number};bill;;;bill-2025-01.pdf;"])

    run = _run(documents_profile, path, channel=ImportRun.Channel.UPLOAD)

    assert QuarantinedRow.objects.get(run=run).reasons == ["files_not_provided"]


def test_a_watched_folder_brings_the_manifest_with_its_files(
    documents_profile, folder, account, django_capture_on_commit_callbacks
):
    _manifest(folder, [f"B-1;{account.number};bill;;;bill-2025-01.pdf;"])

    with django_capture_on_commit_callbacks(execute=True):
        (started,) = scan_watched_folders()  # the PNG and PDF are not manifests: *.csv only

    started.refresh_from_db()
    assert started.done and started.applied == 1
    assert Attachment.objects.get().original_name == "bill-2025-01.pdf"


def _zip(entries: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    buffer.seek(0)
    buffer.name = "documents.zip"
    return buffer


def test_an_uploaded_zip_brings_the_manifest_with_its_files(
    client_for, integration_admin, profile_for, account, django_capture_on_commit_callbacks, tmp_path
):
    profile = profile_for(FileKind.DOCUMENTS)
    manifest = "\n".join(
        [
            HEADER,
            f"B-1;{account.number};bill;;Счёт;docs/bill.pdf;",
            f"E-1;{account.number};bill;;;../evil.pdf;",
        ]
    )
    upload = _zip(
        {
            "export/manifest.csv": manifest.encode(),
            "export/docs/bill.pdf": MINIMAL_PDF,
            "evil.pdf": MINIMAL_PDF,
            "export/../../zipslip.pdf": MINIMAL_PDF,
        }
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(integration_admin).post(
            reverse("console_integration:index"), {"profile": profile.pk, "file": upload}
        )

    run = ImportRun.objects.get()
    assert response.status_code == 302 and run.done
    assert (run.applied, run.quarantined) == (1, 1)
    assert Attachment.objects.get().title == "Счёт"
    assert QuarantinedRow.objects.get(run=run).reasons == ["file_outside_folder"]
    assert not list(tmp_path.rglob("zipslip.pdf"))  # a member whose name climbs out is never written


@pytest.mark.parametrize(
    ("kind", "entries", "message"),
    [
        (FileKind.DOCUMENTS, {"bill.pdf": MINIMAL_PDF}, "exactly one manifest"),
        (FileKind.DOCUMENTS, {"a.csv": b"x", "b.csv": b"y"}, "exactly one manifest"),
        (FileKind.ACCOUNTS, {"a.csv": b"x"}, "documents manifest"),
    ],
)
def test_a_zip_that_is_no_documents_bundle_is_refused(
    client_for, integration_admin, profile_for, kind, entries, message, settings
):
    settings.LANGUAGE_CODE = "en"
    profile = profile_for(kind)

    response = client_for(integration_admin).post(
        reverse("console_integration:index"),
        {"profile": profile.pk, "file": _zip(entries)},
        headers={"accept-language": "en"},
        follow=True,
    )

    assert not ImportRun.objects.exists()
    assert message in response.content.decode()


def test_the_customer_sees_the_imported_document_and_a_stranger_does_not(
    client_for, documents_profile, folder, account, customer, stranger
):
    _run(
        documents_profile, _manifest(folder, [f"B-1;{account.number};bill;;Счёт за январь;bill-2025-01.pdf;"])
    )
    attachment = Attachment.objects.get()
    link = reverse("documents:attachment", args=[attachment.pk])

    page = client_for(customer).get(reverse("documents:index")).content.decode()
    assert "Счёт за январь" in page and link in page
    assert client_for(customer).get(link).status_code == 200

    assert "Счёт за январь" not in client_for(stranger).get(reverse("documents:index")).content.decode()
    assert client_for(stranger).get(link).status_code == 404


@pytest.mark.parametrize("crash", [False, True])
def test_a_run_crashed_mid_chunk_resumes_to_the_same_state(documents_profile, folder, branch, crash):
    from tests.factories import AccountFactory

    accounts = [AccountFactory(number=f"66002000{i:02d}", branch=branch) for i in range(12)]
    for i in range(12):
        (folder / f"doc-{i}.pdf").write_bytes(MINIMAL_PDF + f"% {i}\n".encode())
    lines = [f"D-{i};{a.number};bill;;Документ {i};doc-{i}.pdf;" for i, a in enumerate(accounts)]
    with transaction.atomic():
        run = start_import(
            profile=documents_profile, path=_manifest(folder, lines), channel="folder", enqueue=False
        )
    calls = {"n": 0}

    def dying(**kwargs):  # the process dies in the middle of the second chunk, like kill -9
        calls["n"] += 1
        if crash and calls["n"] == 6:
            raise SystemExit(137)
        return real_store_attachment(**kwargs)

    with mock.patch("abonent.integration.appliers.documents.store_attachment", dying):
        if crash:
            with pytest.raises(SystemExit):
                run_import(run_id=run.pk, chunk_rows=4)
            run.refresh_from_db()
            assert run.status == ImportRun.Status.RUNNING and run.cursor == 4
        finished = run_import(run_id=run.pk, chunk_rows=4)

    assert (finished.applied, finished.total_rows) == (12, 12)
    stored = Attachment.objects.order_by("title").values_list("title", "account__number", "sha256")
    assert list(stored) == sorted(
        (f"Документ {i}", f"66002000{i:02d}", hashlib.sha256(MINIMAL_PDF + f"% {i}\n".encode()).hexdigest())
        for i in range(12)
    )
    keys = SourceRecord.objects.filter(kind="document").values_list("key", flat=True)
    assert sorted(keys) == sorted(f"D-{i}" for i in range(12))


def test_the_command_line_reads_a_manifests_files_beside_it(profile_for, folder, account):
    profile = profile_for(FileKind.DOCUMENTS)  # no watched folder: the operator names the manifest
    manifest = _manifest(folder, [f"B-1;{account.number};bill;;;bill-2025-01.pdf;"])
    out = io.StringIO()

    call_command("run_import", str(manifest), profile=profile.pk, stdout=out)

    assert "applied 1" in out.getvalue()
    assert Attachment.objects.get().original_name == "bill-2025-01.pdf"


def test_the_command_line_takes_a_zip_with_the_manifest_and_its_files(profile_for, folder, account, tmp_path):
    profile = profile_for(FileKind.DOCUMENTS)
    bundle = tmp_path / "documents.zip"
    bundle.write_bytes(
        _zip(
            {
                "export/manifest.csv": f"{HEADER}\nB-1;{account.number};bill;;;bill.pdf;\n".encode(),
                "export/bill.pdf": MINIMAL_PDF,
            }
        ).getvalue()
    )
    out = io.StringIO()

    call_command("run_import", str(bundle), profile=profile.pk, stdout=out)

    assert "applied 1" in out.getvalue()
    assert Attachment.objects.get().original_name == "bill.pdf"


def test_a_document_may_be_bound_by_the_clients_inn(documents_profile, folder, account):
    inn = account.customer.inn
    path = _manifest(folder, ["C-1;;договор;;Договор 2019;bill-2025-01.pdf;"], "m.csv")
    path.write_text(
        path.read_text(encoding="utf-8-sig").replace("ЛС;", "ЛС;ИНН;").replace("C-1;;", f"C-1;;{inn};")
    )

    run = _run(documents_profile, path)

    assert (run.applied, run.quarantined) == (1, 0)
    stored = Attachment.objects.get()
    assert (stored.customer, stored.account, stored.title) == (account.customer, None, "Договор 2019")


@pytest.mark.parametrize(
    ("account_number", "inn", "reasons"),
    [
        ("", "", ["missing_required:account_number/inn"]),
        ("", "shared", ["several_clients_with_inn"]),
        ("", "7707083893", ["unknown_inn"]),
        ("6600999999", "own", ["unknown_account"]),  # an account given is the binding, right or wrong
    ],
)
def test_rows_bound_by_inn_need_exactly_one_client(
    documents_profile, folder, account, branch, account_number, inn, reasons
):
    from tests.factories import AccountFactory

    twin = AccountFactory(branch=branch).customer
    shared = make_inn(length=10)
    for client in (twin, account.customer):
        client.inn = shared if inn == "shared" else client.inn
        client.save(update_fields=["inn"])
    inn = {"shared": shared, "own": account.customer.inn}.get(inn, inn)
    path = folder / "m.csv"
    path.write_text(
        f"ЛС;ИНН;Файл;Код документа\n{account_number};{inn};bill-2025-01.pdf;X-1\n", encoding="utf-8"
    )

    run = _run(documents_profile, path)

    row = QuarantinedRow.objects.get(run=run)
    assert row.reasons == reasons
    assert all(describe_reason(code) != code for code in reasons)
    assert not Attachment.objects.exists()


# The old form of a legacy archive's manifest, as `import_documents` (the old command's name) takes it.
LEGACY = "file,title,account,inn\n"


def test_import_documents_takes_a_legacy_manifest_and_reports_the_rest(folder, account, tmp_path):
    (folder / "virus.exe").write_bytes(b"MZ" + b"\x00" * 64)
    (folder / "other.pdf").write_bytes(MINIMAL_PDF)
    manifest = folder / "legacy.csv"
    manifest.write_text(
        LEGACY
        + f"bill-2025-01.pdf,Договор 2019,{account.number},\n"
        + f"scans/contract.png,Ответ 2020,,{account.customer.inn}\n"
        + "other.pdf,Чужой,6600999999,\n"
        + "missing.pdf,Нет файла,,\n"
        + f"virus.exe,Вирус,{account.number},\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.csv"
    out = io.StringIO()

    call_command("import_documents", str(manifest), "--report", str(report), stdout=out)

    assert "imported 2, replaced 0, unchanged 0, not imported 3" in out.getvalue()
    stored = Attachment.objects.filter(customer=account.customer, source=AttachmentSource.LEGACY)
    assert sorted(stored.values_list("title", "account")) == [
        ("Договор 2019", account.pk),
        ("Ответ 2020", None),
    ]
    unbound = describe_reason("missing_required:account_number/inn")
    assert _read_report(report) == [
        ["row", "key", "problem"],
        ["3", "other.pdf", describe_reason("unknown_account")],
        ["4", "missing.pdf", f"{unbound}; {describe_reason('file_missing')}"],
        ["5", "virus.exe", describe_reason("unsupported_file_type")],
    ]


def test_import_documents_again_changes_nothing_and_prints_the_problems(folder, account):
    manifest = folder / "legacy.csv"
    manifest.write_text(
        LEGACY + f"bill-2025-01.pdf,Счёт,{account.number},\nnone.pdf,Нет,,\n", encoding="utf-8"
    )
    call_command("import_documents", str(manifest), stdout=io.StringIO())
    out = io.StringIO()

    call_command("import_documents", str(manifest), stdout=out)

    assert "imported 0, replaced 0, unchanged 1, not imported 1" in out.getvalue()
    assert "2,none.pdf," in out.getvalue()
    assert Attachment.objects.count() == 1
    assert ImportProfile.objects.filter(source__code="legacy-archive").count() == 1


def test_import_documents_refuses_a_missing_manifest_or_a_profile_of_another_kind(profile_for, tmp_path):
    with pytest.raises(CommandError, match="No manifest"):
        call_command("import_documents", str(tmp_path / "nothing.csv"))
    (tmp_path / "m.csv").write_text(LEGACY, encoding="utf-8")
    with pytest.raises(CommandError, match="No documents profile"):
        call_command("import_documents", str(tmp_path / "m.csv"), profile=profile_for(FileKind.ACCOUNTS).pk)


def test_run_import_reports_the_quarantined_rows(profile_for, folder, account, tmp_path):
    profile = profile_for(FileKind.DOCUMENTS)
    manifest = _manifest(
        folder, [f"B-1;{account.number};bill;;;bill-2025-01.pdf;", "B-2;;bill;;;nothing.pdf;"]
    )
    report = tmp_path / "problems.csv"

    call_command(
        "run_import", str(manifest), "--report", str(report), profile=profile.pk, stdout=io.StringIO()
    )

    problem = f"{describe_reason('missing_required:account_number/inn')}; {describe_reason('file_missing')}"
    assert _read_report(report) == [["row", "key", "problem"], ["2", "B-2", problem]]


def _read_report(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as report:
        return list(csv.reader(report))
