"""`manage.py demo_logins`: print where the server is and the demo logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from abonent.demo.personas import demo_logins


class Command(BaseCommand):
    help = "Print the demo logins and passwords."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="the address to print")

    def handle(self, *args: object, url: str, **options: object) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Abonent is running at {url}   (Ctrl-C stops it)"))
        self.stdout.write(f"Staff console: {url}console/   Admin: {url}admin/   API docs: {url}api/docs")
        self.stdout.write("Demo logins (login / password):")
        for login in demo_logins():
            self.stdout.write(f"  {login.role:<14} {login.login:<22} {login.password}   {login.description}")
