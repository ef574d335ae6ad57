"""The console's charge runs (progress, start for heads only) and an account's bills and ledger (audited)."""

from __future__ import annotations

import pytest

from abonent.billing.models import Bill, ChargeRun
from abonent.core.models import AuditEvent
from tests.billing.charge_setup import OCTOBER, build_example

pytestmark = pytest.mark.django_db


def test_operator_sees_runs_with_progress_but_no_start_form(client_for, operator, account):
    run = ChargeRun.objects.create(
        branch=account.branch, period=OCTOBER.start, status="running", accounts_total=200, accounts_done=50
    )
    page = client_for(operator).get("/console/billing/runs/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-testid="run-{run.pk}"' in html and 'value="25"' in html
    assert 'hx-trigger="every 2s"' in html  # refreshes while a run is under way
    assert "start_run" not in html and "/console/billing/runs/start/" not in html


def test_htmx_refresh_returns_the_table_only(client_for, operator, account):
    ChargeRun.objects.create(branch=account.branch, period=OCTOBER.start, status="done")
    page = client_for(operator).get("/console/billing/runs/", HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert html.lstrip().startswith('<div id="charge-runs"') and "<html" not in html
    assert "hx-trigger" not in html  # nothing running: the refresh stops


def test_head_starts_a_run_that_bills_the_branch(
    client_for, head, account, django_capture_on_commit_callbacks
):
    build_example(account)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client_for(head).post(
            "/console/billing/runs/start/", {"branch": account.branch.pk, "period": "2026-10"}
        )
    assert answer.status_code == 302
    run = ChargeRun.objects.get()
    assert run.status == "done" and run.started_by == head
    assert Bill.objects.filter(account=account).count() == 1
    assert AuditEvent.objects.filter(action="start", object_type="billing.ChargeRun", actor=head).exists()


def test_start_refuses_a_month_not_over_and_bad_text(client_for, head, account):
    client = client_for(head)
    for value, message in (("2099-01", "Начислить можно только закончившийся месяц"), ("октябрь", "ГГГГ-ММ")):
        page = client.post("/console/billing/runs/start/", {"branch": account.branch.pk, "period": value})
        assert page.status_code == 200 and not ChargeRun.objects.exists()
        assert "field--invalid" in page.content.decode() and message in page.content.decode()


def test_operator_and_customers_cannot_start_runs(client_for, operator, customer, stranger, account):
    data = {"branch": account.branch.pk, "period": "2026-10"}
    assert client_for(operator).post("/console/billing/runs/start/", data).status_code == 403
    for user in (customer, stranger):
        assert client_for(user).post("/console/billing/runs/start/", data).status_code == 302  # to sign-in
        assert client_for(user).get("/console/billing/runs/").status_code == 302
    assert not ChargeRun.objects.exists()


def test_account_bills_and_ledger_are_audited_and_scoped(client_for, operator, account, other_account):
    build_example(account)
    from abonent.billing.services.charge_run import run_pending_chunks, start_charge_run

    run_pending_chunks(run=start_charge_run(branch=account.branch, period=OCTOBER, enqueue=False))
    page = client_for(operator).get(f"/console/billing/accounts/{account.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f"{account.number}-202610" in html and "2\u202f220,50\u00a0₽" in html
    assert AuditEvent.objects.filter(actor=operator, object_id=str(account.pk), personal_data=True).exists()
    # The operator works in the account's branch only: another branch's account is "not found".
    assert client_for(operator).get(f"/console/billing/accounts/{other_account.pk}/").status_code == 404
