"""Integration pages in a real browser: a run's live progress and report, quarantine, duplicate review."""

from __future__ import annotations

import pytest
from django.db import transaction

from abonent.integration.dirty import write_dirty_export
from abonent.integration.models import ImportRun
from abonent.integration.services import run_import, start_import
from tests.e2e.conftest import screenshot
from tests.e2e.test_shell_screenshots import OVERFLOW, sign_in

# The integration tests' fixtures, by name (they live in tests/integration/conftest.py).
from tests.integration.conftest import (  # noqa: F401
    _imports_in_tmp,
    accounts_profile,
    integration_admin,
    profile_for,
    source,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class _Stop(Exception):
    """Stops a run after its first chunk, as a crash would: the run stays mid-way."""


def _start(profile, path) -> ImportRun:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        return start_import(profile=profile, path=path, channel=ImportRun.Channel.UPLOAD, enqueue=False)


def _stop(run: ImportRun) -> None:
    raise _Stop


def test_progress_report_and_duplicates_pages(
    live_server,
    page,
    integration_admin,  # noqa: F811 - the fixture imported above, by name
    accounts_profile,  # noqa: F811
    tmp_path,
):  # type: ignore[no-untyped-def]
    out = tmp_path / "billing-export-2026-11.csv"
    write_dirty_export(rows=900, out=out, seed=6, encoding="cp1251")
    running = _start(accounts_profile, out)
    with pytest.raises(_Stop):
        run_import(run_id=running.pk, chunk_rows=300, on_chunk=_stop)
    sign_in(page, live_server.url, integration_admin.username)

    page.goto(f"{live_server.url}/console/integration/runs/{running.pk}/")
    progress = page.get_by_test_id("run-progress")
    assert progress.get_attribute("hx-get")  # polls while running
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "integration-progress")

    run_import(run_id=running.pk, chunk_rows=300)  # the worker finishes; the page refreshes itself
    page.wait_for_function("!document.querySelector('[data-testid=run-progress]').hasAttribute('hx-get')")
    assert page.get_by_test_id("count-quarantined").inner_text().strip() != "0"
    assert page.get_by_test_id("rules").is_visible()
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "integration-report")

    page.get_by_test_id("open-quarantine").click()
    assert page.get_by_test_id("quarantined-row").count() > 0
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "integration-quarantine")

    page.goto(f"{live_server.url}/console/integration/duplicates/")
    assert page.get_by_test_id("duplicate-pair").count() > 0
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "integration-duplicates")
    page.get_by_test_id("merge").first.click()
    page.wait_for_load_state()
    assert (
        page.get_by_role("button", name="Отменить объединение").count() >= 1
        or page.locator(".alert-success").count()
    )
