"""The import-profile builder in a real browser: a Windows-1251 export with Russian headers in an odd order
is mapped (one suggestion corrected), previewed with its cleaning, saved, and then imported."""

from __future__ import annotations

import pytest

from abonent.integration.models import ImportProfile, ImportRun
from tests.e2e.conftest import screenshot
from tests.e2e.test_shell_screenshots import OVERFLOW, sign_in
from tests.integration.conftest import _imports_in_tmp, integration_admin  # noqa: F401 - fixtures by name
from tests.integration.test_profiles import sample_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _field_of(page, column: str):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-testid=column-rule][data-column="{column}"]').first.get_by_test_id(
        "field-select"
    )


def test_an_admin_builds_a_profile_from_a_sample_and_imports_with_it(
    live_server,
    page,
    integration_admin,  # noqa: F811 - the fixture imported above, by name
    branch,
    tmp_path,
):  # type: ignore[no-untyped-def]
    export = tmp_path / "abonenty-2026-11.csv"
    export.write_bytes(sample_bytes("cp1251"))
    sign_in(page, live_server.url, integration_admin.username)

    page.goto(f"{live_server.url}/console/integration/")
    page.get_by_test_id("open-profiles").click()
    page.get_by_test_id("new-profile").click()
    page.select_option("#id_source", "")
    page.fill("#id_new_code", "raschet-e2e")
    page.fill("#id_new_name", "Биллинг «Расчёт-Е2Е»")
    page.select_option("#id_new_branch", str(branch.pk))
    page.select_option("#id_kind", "accounts")
    page.set_input_files("#id_sample", str(export))
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "profile-start")
    page.get_by_test_id("read-sample").click()

    # The mapping suggested from the names: Russian headers, ё and double spaces included.
    assert "cp1251" in page.get_by_test_id("sample-format").inner_text()  # found, not told
    assert _field_of(page, "Лицевой счёт").input_value() == "account_number"
    assert _field_of(page, "Код  абонента").input_value() == "external_id"
    assert _field_of(page, "ФИО").input_value() == "full_name"
    assert _field_of(page, "Моб. телефон").input_value() == ""  # no alias names it
    _field_of(page, "Моб. телефон").select_option("phone")

    page.get_by_test_id("preview-button").click()
    repaired = page.locator("[data-testid=cell-repaired][data-field=phone]").first
    repaired.wait_for()
    assert "+79123456789" in repaired.inner_text()
    refused = page.locator("[data-testid=cell-refused][data-field=birth_date]")
    assert refused.count() == 1 and "Не дата" in refused.inner_text()
    assert page.get_by_test_id("missing-required").count() == 0
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "profile-builder")

    page.fill("#id_name", "Абоненты и лицевые счета")
    page.get_by_test_id("save-profile").click()
    page.wait_for_url("**/console/integration/profiles/")
    assert page.get_by_test_id("profile-row").filter(has_text="Абоненты и лицевые счета").count() == 1
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "profile-list")
    profile = ImportProfile.objects.get(name="Абоненты и лицевые счета")
    assert profile.mapping["phone"] == "Моб. телефон" and profile.source.code == "raschet-e2e"

    page.goto(f"{live_server.url}/console/integration/")
    page.select_option("#id_profile", str(profile.pk))
    page.set_input_files("#id_file", str(export))
    page.get_by_test_id("start-import").click()  # the test task backend runs the import in the request
    page.wait_for_url("**/console/integration/runs/*/")
    run = ImportRun.objects.get(profile=profile)
    assert run.done and (run.applied, run.quarantined) == (2, 1)
    assert page.get_by_test_id("count-quarantined").inner_text().strip() == "1"
    page.goto(f"{live_server.url}/console/integration/profiles/")
    assert page.get_by_test_id("run-status").count() == 1  # the profile's last run is listed
