"""Console pages of integration: only integration admins see them; upload, progress, quarantine, merges."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from abonent.customers.models import Account, CustomerMerge, DuplicateCandidate
from abonent.integration.dirty import write_dirty_export
from abonent.integration.models import ImportRun, QuarantinedRow

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_run(tmp_path, accounts_profile, imported) -> ImportRun:
    out = tmp_path / "export.csv"
    write_dirty_export(rows=600, out=out, seed=5, encoding="utf-8")
    return imported(accounts_profile, out)


@pytest.mark.parametrize("persona", ["stranger", "operator", "specialist", "head", "customer"])
def test_only_integration_admins_see_the_pages(request, client_for, persona, finished_run):
    client = client_for(request.getfixturevalue(persona))
    row = QuarantinedRow.objects.filter(run=finished_run).first()
    for url in (
        reverse("console_integration:index"),
        reverse("console_integration:run", args=[finished_run.pk]),
        reverse("console_integration:progress", args=[finished_run.pk]),
        reverse("console_integration:quarantine", args=[finished_run.pk]),
        reverse("console_integration:row", args=[row.pk]),
        reverse("console_integration:duplicates"),
    ):
        response = client.get(url)
        assert response.status_code in (302, 404), url
        assert finished_run.file_name not in response.content.decode()


def test_admin_uploads_a_file_and_sees_the_report(
    client_for, integration_admin, accounts_profile, tmp_path, django_capture_on_commit_callbacks
):
    out = tmp_path / "upload.csv"
    write_dirty_export(rows=300, out=out, seed=4, encoding="cp1251")
    client = client_for(integration_admin)
    with out.open("rb") as handle, django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console_integration:index"), {"profile": accounts_profile.pk, "file": handle}
        )
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("console_integration:run", args=[run.pk])
    assert run.done and run.status in (
        ImportRun.Status.FINISHED,
        ImportRun.Status.SUSPICIOUS,
    )  # immediate tasks
    page = client.get(response.url).content.decode()
    assert "upload.csv" in page and "exact_duplicate" in page
    fragment = client.get(reverse("console_integration:progress", args=[run.pk])).content.decode()
    assert 'data-testid="run-progress"' in fragment and "hx-get" not in fragment  # a done run stops polling


def test_admin_asks_for_a_first_load_into_empty_tables(
    client_for, integration_admin, accounts_profile, tmp_path, django_capture_on_commit_callbacks
):
    out = tmp_path / "first.csv"
    write_dirty_export(rows=200, out=out, seed=6, encoding="utf-8")
    client = client_for(integration_admin)
    with out.open("rb") as handle, django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console_integration:index"),
            {"profile": accounts_profile.pk, "file": handle, "initial_load": "on"},
        )
    run = ImportRun.objects.get()
    assert run.initial_load and run.done and not run.deferred_indexes  # taken, and the indexes are back
    with translation.override("ru"):  # the console speaks Russian by default
        shown = translation.gettext("first load into empty tables")
    assert shown in client.get(response.url).content.decode()


def test_a_quarantined_row_is_corrected_and_applied(client_for, integration_admin, finished_run):
    row = next(q for q in QuarantinedRow.objects.filter(run=finished_run) if q.reasons == ["inn_invalid:inn"])
    client = client_for(integration_admin)
    assert client.get(reverse("console_integration:row", args=[row.pk])).status_code == 200

    still_bad = client.post(reverse("console_integration:row", args=[row.pk]), {**row.data, "inn": "123"})
    assert still_bad.status_code == 200
    row.refresh_from_db()
    assert row.status == QuarantinedRow.Status.OPEN and row.reasons == ["inn_invalid:inn"]

    fixed = client.post(reverse("console_integration:row", args=[row.pk]), {**row.data, "inn": ""})
    assert fixed.status_code == 302
    row.refresh_from_db()
    assert row.status == QuarantinedRow.Status.APPLIED
    assert Account.objects.filter(number=row.data["account_number"]).exists()
    finished_run.refresh_from_db()
    assert finished_run.quarantined == QuarantinedRow.objects.filter(run=finished_run, status="open").count()


def test_a_duplicate_pair_is_merged_and_unmerged(client_for, integration_admin, finished_run):
    pair = DuplicateCandidate.objects.filter(status="open").first()
    assert pair is not None
    newer, older = sorted([pair.customer, pair.duplicate_of], key=lambda c: -c.pk)
    accounts = set(newer.accounts.values_list("pk", flat=True))
    client = client_for(integration_admin)
    page = client.get(reverse("console_integration:duplicates")).content.decode()
    assert newer.last_name in page

    client.post(reverse("console_integration:decide", args=[pair.pk]), {"decision": "merge"})

    merge = CustomerMerge.objects.get()
    assert (merge.survivor, merge.merged) == (older, newer)
    assert accounts <= set(older.accounts.values_list("pk", flat=True))
    client.post(reverse("console_integration:unmerge", args=[merge.pk]))
    assert set(newer.accounts.values_list("pk", flat=True)) == accounts
    merge.refresh_from_db()
    assert merge.undone_at is not None


def test_reasons_and_rules_are_shown_in_words(client_for, integration_admin, finished_run):
    client = client_for(integration_admin)
    quarantine = client.get(
        reverse("console_integration:quarantine", args=[finished_run.pk])
    ).content.decode()
    assert "Неверная длина или контрольная цифра: ИНН" in quarantine
    assert 'title="inn_invalid:inn"' in quarantine  # the code stays at hand for support
    report = client.get(reverse("console_integration:run", args=[finished_run.pk])).content.decode()
    assert "Точные дубли строк (пропущены)" in report
