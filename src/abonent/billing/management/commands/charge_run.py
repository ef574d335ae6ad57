"""`manage.py charge_run`: run (or resume) the monthly charge of branches here and now, in N processes.

The console starts runs as background tasks; this command is for operators and the benchmark. With
--workers N on PostgreSQL N processes charge and write the pending chunks, each taking the next one
when it is free. SQLite has one writer: there N reader processes work the chunks out
(`prepare_chunk`, reading beside the writer thanks to WAL) and this process only writes them, each in
its own transaction that claims the chunk first, so resuming and "never twice" work as with one process.
"""

from __future__ import annotations

import multiprocessing
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from abonent.billing.models import ChargeRun, ChargeRunChunk
from abonent.billing.services.charge_run import (
    CHUNK_ACCOUNTS,
    charge_chunk,
    finish_run_if_complete,
    prepare_chunk,
    start_charge_run,
)
from abonent.core.models import Branch
from abonent.core.periods import BillingPeriod, current_period


def _process_started() -> None:
    connections.close_all()  # a forked process opens its own connection


def _charge_one(chunk_id: int) -> int:
    outcome = charge_chunk(chunk_id=chunk_id)
    return outcome.accounts if outcome else 0


def _charge_in_processes(pending: list[int], workers: int) -> None:
    """Let `workers` processes charge and write the chunks, each taking the next one when it is free."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_process_started) as pool:
        for _accounts in pool.imap_unordered(_charge_one, pending):
            pass


def _write_prepared_chunks(pending: list[int], readers: int) -> None:
    """Let `readers` processes work the chunks out, in order, while this process writes each one."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(readers, initializer=_process_started) as pool:
        for chunk_id, prepared in zip(pending, pool.imap(prepare_chunk, pending), strict=True):
            charge_chunk(chunk_id=chunk_id, prepared=prepared)


class Command(BaseCommand):
    help = "Charge a billing period for every branch (or one) and issue the bills; resumes a stopped run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", help="YYYY-MM; default: the previous month")
        parser.add_argument("--branch", help="branch code; default: every branch")
        parser.add_argument("--workers", type=int, default=1, help="processes charging chunks at once")
        parser.add_argument(
            "--chunk-accounts",
            type=int,
            default=CHUNK_ACCOUNTS,
            help="accounts per chunk of a new run (a resumed run keeps its chunks)",
        )

    def handle(
        self,
        *args: object,
        period: str | None,
        branch: str | None,
        workers: int,
        chunk_accounts: int,
        **options: object,
    ) -> None:
        try:
            billed = BillingPeriod.parse(period) if period else current_period().previous()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        branches = Branch.objects.filter(code=branch) if branch else Branch.objects.all()
        if not branches.exists():
            raise CommandError(f"No branch {branch!r}")
        started = time.monotonic()
        runs = [
            start_charge_run(branch=b, period=billed, chunk_accounts=chunk_accounts, enqueue=False)
            for b in branches.order_by("code")
        ]
        pending = list(
            ChargeRunChunk.objects.filter(run__in=runs)
            .exclude(status=ChargeRunChunk.Status.DONE)
            .order_by("first_account_id")
            .values_list("pk", flat=True)
        )
        if workers > 1 and len(pending) > 1 and connections["default"].vendor == "sqlite":
            _write_prepared_chunks(pending, workers)
        elif workers > 1 and len(pending) > 1:
            _charge_in_processes(pending, workers)
        else:
            for chunk_id in pending:
                charge_chunk(chunk_id=chunk_id)
        for run in runs:
            finish_run_if_complete(run_id=run.pk)
        seconds = time.monotonic() - started
        done = ChargeRun.objects.filter(pk__in=[r.pk for r in runs])
        accounts = sum(r.accounts_done for r in done)
        failed = [r for r in done if r.status != ChargeRun.Status.DONE]
        rate = accounts / max(seconds, 1e-9)
        self.stdout.write(f"charged {accounts} accounts for {billed} in {seconds:.1f} s ({rate:.0f}/s)")
        if failed:
            raise CommandError("; ".join(f"{r.branch_id}: {r.error}" for r in failed))
