"""`manage.py charge_run --workers 2`: chunks worked out in other processes, each written once.

On SQLite two reader processes prepare the chunks and this process writes them; on PostgreSQL two
processes charge and write. The data must be committed for forked processes to see it, hence a
transactional test.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from abonent.billing.models import Bill, ChargeRun, LedgerEntry
from tests.billing.charge_setup import OCTOBER
from tests.billing.test_charge_run import _three_accounts

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_charge_every_chunk_once_and_a_rerun_adds_nothing(account):
    accounts = _three_accounts(account)
    out = StringIO()
    call_command("charge_run", "--period", "2026-10", "--workers", "2", "--chunk-accounts", "1", stdout=out)

    assert "charged 3 accounts" in out.getvalue()
    run = ChargeRun.objects.get()
    assert (run.status, run.chunks_total, run.chunks_done, run.bills) == (ChargeRun.Status.DONE, 3, 3, 3)
    assert Bill.objects.filter(period=OCTOBER.start).count() == 3
    counts = [LedgerEntry.objects.filter(account=a, source="charge_run").count() for a in accounts]
    assert counts == [4, 2, 2]
    example = Bill.objects.get(account=account, period=OCTOBER.start)
    assert str(example.total_due) == "2220.50"

    call_command("charge_run", "--period", "2026-10", "--workers", "2", stdout=StringIO())
    assert LedgerEntry.objects.filter(source="charge_run").count() == 8
    assert Bill.objects.filter(period=OCTOBER.start).count() == 3
