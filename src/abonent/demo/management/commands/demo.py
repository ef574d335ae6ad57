"""`manage.py demo`: load the demo utility (on an empty database, or after --reset)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from abonent.core.freshness import touch_everything
from abonent.core.maintenance import append_only_tables_erasable
from abonent.customers.models import Account
from abonent.demo.generator import build_demo


class Command(BaseCommand):
    help = "Generate a realistic demo utility with N personal accounts and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--accounts", type=int, default=2000, help="how many personal accounts (default 2000)"
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="random seed; the same seed gives the same data"
        )
        parser.add_argument("--reset", action="store_true", help="erase ALL data first (asks no question)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if accounts already exist")

    def handle(
        self, *args: object, accounts: int, seed: int, reset: bool, if_empty: bool, **options: object
    ) -> None:
        if accounts < 20:
            raise CommandError("--accounts must be at least 20 (the demo logins own some of them)")
        has_data = Account.objects.exists()
        if has_data and if_empty:
            self.stdout.write("Demo data is already loaded.")
            return
        if has_data and not reset:
            raise CommandError("The database already holds accounts; use --reset to erase and reload.")
        if reset:
            with append_only_tables_erasable():
                call_command("flush", interactive=False, verbosity=0)
            # flush also erased the reference data the migrations loaded; build_demo puts it back
        summary = build_demo(accounts=accounts, seed=seed, report=self.stdout.write)
        touch_everything()  # a reload may give old logins' ids to new people: no cached page survives it
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo utility ready: {summary.accounts:,} accounts in {summary.seconds:.1f} s"
            )
        )
        self.stdout.write("Demo logins: see `manage.py demo_logins` (printed by `make run`).")
