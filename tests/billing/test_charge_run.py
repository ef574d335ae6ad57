"""The monthly charge run: the worked example by hand, resuming after a crash, nothing doubled."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from abonent.billing.models import Bill, ChargeRun, ChargeRunChunk, LedgerEntry
from abonent.billing.services import charge_run as charge_run_module
from abonent.billing.services.charge_run import charge_chunk, run_pending_chunks, start_charge_run
from abonent.customers.models import Account
from tests.billing.charge_setup import OCTOBER, add_reading, build_example
from tests.factories import AccountFactory, AccountServiceFactory, MeterFactory

pytestmark = pytest.mark.django_db


def _run(branch, period=OCTOBER, chunk_accounts=10) -> ChargeRun:
    run = start_charge_run(branch=branch, period=period, chunk_accounts=chunk_accounts, enqueue=False)
    run_pending_chunks(run=run)
    run.refresh_from_db()
    return run


def _entries(account: Account) -> dict[str, Decimal]:
    return {
        e.idempotency_key: e.amount
        for e in LedgerEntry.objects.filter(account=account, source="charge_run").order_by("id")
    }


def test_worked_example_posts_charges_benefit_and_bill(account):
    """See tests/billing/charge_setup.py: 820.50 + 150.00 + 2500.00 charged, 1250.00 off, 2220.50 due."""
    example = build_example(account)
    run = _run(account.branch)

    assert run.status == ChargeRun.Status.DONE
    assert (run.accounts_total, run.accounts_done, run.bills) == (1, 1, 1)
    a, e, w, h = account.pk, example.electricity.pk, example.water.pk, example.heating.pk
    assert _entries(account) == {
        f"charge:{a}:{e}:2026-10:T": Decimal("820.50"),
        f"charge:{a}:{w}:2026-10:T": Decimal("150.00"),
        f"charge:{a}:{h}:2026-10:T": Decimal("2500.00"),
        f"benefit:{a}:{h}:2026-10:{account.benefits.get().pk}": Decimal("-1250.00"),
    }
    bill = Bill.objects.get(account=account, period=OCTOBER.start)
    assert bill.number == f"{account.number}-202610"
    assert bill.issued_on == datetime.date(2026, 11, 1)
    assert (bill.charged, bill.benefits, bill.recalculated, bill.paid) == (
        Decimal("3470.50"),
        Decimal("1250.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert bill.total_due == Decimal("2220.50")
    assert run.by_average == 1 and run.by_norm == 1
    bases = {(line["service"], line["basis"]) for line in bill.details["lines"]}
    assert bases == {(e, "meter"), (w, "average"), (h, "norm")}
    water = next(m for m in bill.details["meters"] if m["meter"] == example.water_meter.pk)
    assert water["months_without"] == 1 and water["by_zone"] == {"T": "3.000"}


def test_opening_balance_and_payment_of_the_period_make_the_total(account):
    """Owed 1000.00 from September, paid 400.00 on 10.10: 1000 + 3470.50 − 1250 − 400 = 2820.50."""
    example = build_example(account)
    LedgerEntry.objects.create(
        account=account,
        service=example.electricity,
        period=datetime.date(2026, 9, 1),
        kind="charge",
        amount=Decimal("1000.00"),
        occurred_on=datetime.date(2026, 9, 30),
        source="test",
        idempotency_key="september",
    )
    LedgerEntry.objects.create(
        account=account,
        service=example.electricity,
        period=datetime.date(2026, 9, 1),
        kind="payment",
        amount=Decimal("-400.00"),
        occurred_on=datetime.date(2026, 10, 10),
        source="test",
        idempotency_key="payment",
    )
    _run(account.branch)
    bill = Bill.objects.get(account=account)
    assert (bill.opening_balance, bill.paid, bill.total_due) == (
        Decimal("1000.00"),
        Decimal("400.00"),
        Decimal("2820.50"),
    )


def test_late_reading_recalculates_the_average_month(account):
    """November brings the water reading 117 after 109 in September: 8 m³ over 2 months, 4/month.

    October was billed 3 m³ by the average; now 4 m³: +1 × 50.00 = +50.00 recalculated in November,
    and November itself 4 × 50.00 = 200.00.
    """
    example = build_example(account)
    _run(account.branch)
    add_reading(example.water_meter, OCTOBER.next(), "117")
    add_reading(example.power_meter, OCTOBER.next(), "1250")
    _run(account.branch, period=OCTOBER.next())

    a, w = account.pk, example.water.pk
    entries = _entries(account)
    assert entries[f"charge:{a}:{w}:2026-11:T"] == Decimal("200.00")
    assert entries[f"recalc:{a}:{w}:2026-11:T:2026-10"] == Decimal("50.00")
    recalc = LedgerEntry.objects.get(idempotency_key=f"recalc:{a}:{w}:2026-11:T:2026-10")
    assert recalc.kind == "recalculation" and "2026" in recalc.reason
    bill = Bill.objects.get(account=account, period=OCTOBER.next().start)
    assert bill.recalculated == Decimal("50.00")
    assert bill.details["recalculations"][0]["volume_before"] == "3.000"


def test_after_three_periods_without_readings_the_norm_applies(account):
    """Water last read in June: July–September by the average would be periods 1–3; October is the 4th → norm.

    Norm 4.5 m³ per resident × 2 residents = 9 m³ × 50.00 = 450.00.
    """
    example = build_example(account)
    example.water_meter.readings.filter(period=OCTOBER.shift(-1).start).delete()
    add_reading(example.water_meter, OCTOBER.shift(-7), "91")
    _run(account.branch)
    a, w = account.pk, example.water.pk
    assert _entries(account)[f"charge:{a}:{w}:2026-10:T"] == Decimal("450.00")


def _three_accounts(account):
    build_example(account)
    others = [AccountFactory(branch=account.branch) for _ in range(2)]
    for other in others:
        for service_code in ("electricity", "heating"):
            from abonent.customers.models import Service

            AccountServiceFactory(account=other, service=Service.objects.get(code=service_code))
        meter = MeterFactory(account=other, zones=1)
        add_reading(meter, OCTOBER.previous(), "10")
        add_reading(meter, OCTOBER, "110")
    return [account, *others]


class _Killed(BaseException):
    """Stands for kill -9: not an Exception, so nothing records it; the transaction just dies."""


def test_a_run_killed_mid_chunk_resumes_to_the_same_final_state(account, monkeypatch):
    accounts = _three_accounts(account)
    run = start_charge_run(branch=account.branch, period=OCTOBER, chunk_accounts=1, enqueue=False)
    chunks = list(run.chunks.order_by("first_account_id"))
    assert len(chunks) == 3
    charge_chunk(chunk_id=chunks[0].pk)

    real_totals = charge_run_module._ledger_totals

    def killed(*args, **kwargs):
        raise _Killed

    monkeypatch.setattr(charge_run_module, "_ledger_totals", killed)
    with pytest.raises(_Killed):
        charge_chunk(chunk_id=chunks[1].pk)  # dies after writing its ledger rows, before the bills
    monkeypatch.setattr(charge_run_module, "_ledger_totals", real_totals)

    assert LedgerEntry.objects.filter(account=accounts[1], source="charge_run").count() == 0
    chunks[1].refresh_from_db()
    assert chunks[1].status == ChargeRunChunk.Status.PENDING
    run.refresh_from_db()
    assert (run.chunks_done, run.accounts_done, run.status) == (1, 1, ChargeRun.Status.RUNNING)

    resumed = start_charge_run(branch=account.branch, period=OCTOBER, enqueue=False)
    assert resumed.pk == run.pk
    run_pending_chunks(run=resumed)
    resumed.refresh_from_db()
    assert resumed.status == ChargeRun.Status.DONE
    assert (resumed.chunks_done, resumed.accounts_done, resumed.bills) == (3, 3, 3)
    assert Bill.objects.filter(period=OCTOBER.start).count() == 3
    # Each account: its charges once; the example account 4 entries, the others 2 (electricity, heating).
    assert [LedgerEntry.objects.filter(account=a, source="charge_run").count() for a in accounts] == [4, 2, 2]


def test_a_failing_chunk_fails_the_run_with_the_reason_and_a_restart_finishes_it(account, monkeypatch):
    _three_accounts(account)
    real = charge_run_module.charge_account

    def broken(*, account, **kwargs):
        if account.id == Account.objects.order_by("pk").values_list("pk", flat=True)[1]:
            raise RuntimeError("disk full")
        return real(account=account, **kwargs)

    monkeypatch.setattr(charge_run_module, "charge_account", broken)
    run = start_charge_run(branch=account.branch, period=OCTOBER, chunk_accounts=1, enqueue=False)
    with pytest.raises(RuntimeError):
        run_pending_chunks(run=run)
    run.refresh_from_db()
    assert run.status == ChargeRun.Status.FAILED and "disk full" in run.error
    monkeypatch.setattr(charge_run_module, "charge_account", real)
    resumed = start_charge_run(branch=account.branch, period=OCTOBER, enqueue=False)
    run_pending_chunks(run=resumed)
    resumed.refresh_from_db()
    assert resumed.status == ChargeRun.Status.DONE and resumed.bills == 3 and resumed.error == ""


def test_nothing_is_doubled_by_a_second_start_or_a_repeated_chunk(account):
    accounts = _three_accounts(account)
    run = _run(account.branch, chunk_accounts=2)
    before = LedgerEntry.objects.filter(source="charge_run").count()

    again = start_charge_run(branch=account.branch, period=OCTOBER, enqueue=False)
    assert again.pk == run.pk and again.status == ChargeRun.Status.DONE
    assert run_pending_chunks(run=again) == 0
    # Even a chunk forced back to pending (a worker's stale retry) bills nobody twice.
    chunk = run.chunks.first()
    ChargeRunChunk.objects.filter(pk=chunk.pk).update(status=ChargeRunChunk.Status.PENDING)
    charge_chunk(chunk_id=chunk.pk)
    assert LedgerEntry.objects.filter(source="charge_run").count() == before
    assert Bill.objects.filter(account__in=accounts).count() == 3


def test_missing_tariff_fails_the_run_naming_the_service(account):
    example = build_example(account)
    example.heating.tariffs.all().delete()
    run = start_charge_run(branch=account.branch, period=OCTOBER, enqueue=False)
    with pytest.raises(Exception, match="Отопление"):
        run_pending_chunks(run=run)
    run.refresh_from_db()
    assert run.status == ChargeRun.Status.FAILED and "Отопление" in run.error
    assert not Bill.objects.exists()


def test_chunks_run_as_background_tasks(account, django_capture_on_commit_callbacks):
    _three_accounts(account)
    with django_capture_on_commit_callbacks(execute=True):
        run = start_charge_run(branch=account.branch, period=OCTOBER, chunk_accounts=2)
    run.refresh_from_db()
    assert run.status == ChargeRun.Status.DONE and run.bills == 3


def test_the_run_accrues_penalties_of_debtors_as_the_statement_says(account):
    """5000.00 of March electricity unpaid: by 31.10 its penalty is the statement's, billed once."""
    from abonent.billing.selectors import penalty_statement
    from abonent.billing.services.penalties import accrue_penalties

    example = build_example(account)
    LedgerEntry.objects.create(
        account=account,
        service=example.electricity,
        period=datetime.date(2026, 3, 1),
        kind="charge",
        amount=Decimal("5000.00"),
        occurred_on=datetime.date(2026, 3, 31),
        source="test",
        idempotency_key="march",
    )
    expected = sum(line.amount for line in penalty_statement(account=account, as_of=OCTOBER.end))
    assert expected > 0
    _run(account.branch)
    penalty = LedgerEntry.objects.get(account=account, kind="penalty")
    assert penalty.amount == expected and penalty.service == example.electricity
    bill = Bill.objects.get(account=account)
    assert bill.penalties == expected
    assert bill.total_due == Decimal("5000.00") + Decimal("2220.50") + expected
    assert accrue_penalties(account=account, through=OCTOBER.end) == []  # already posted: nothing new
    assert LedgerEntry.objects.filter(account=account, kind="penalty").count() == 1
