"""`manage.py dirty_export --rows N --out FILE --seed S`: a dirty customer+account export and its truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from abonent.integration.dirty import write_dirty_export


class Command(BaseCommand):
    help = "Write a dirty billing export (customers with accounts) and a truth file beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, required=True)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--encoding", default="", help="utf-8-sig, utf-8, cp1251 or koi8_r (default: by seed)"
        )

    def handle(self, *args: Any, rows: int, out: Path, seed: int, encoding: str, **options: Any) -> None:
        truth = write_dirty_export(rows=rows, out=out, seed=seed, encoding=encoding)
        self.stdout.write(f"{out} ({rows} rows), truth in {truth}")
