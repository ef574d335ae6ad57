"""Train zstd dictionaries of the archive: `manage.py train_document_dictionaries [--kind bill] [--force]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abonent.documents.models import KIND_SLUGS
from abonent.documents.services import dictionary_drift, retrain_drifted_dictionaries, train_dictionary


class Command(BaseCommand):
    help = "Train a new dictionary version for kinds whose documents drifted (or a given kind with --force)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", choices=sorted(KIND_SLUGS.values()), help="Only this kind.")
        parser.add_argument("--force", action="store_true", help="Train even without drift.")

    def handle(self, *args: object, kind: str | None = None, force: bool = False, **options: object) -> None:
        if not kind and not force:
            trained = retrain_drifted_dictionaries()
            self.stdout.write(f"trained: {trained or 'nothing drifted'}")
            return
        kinds = [k for k, slug in KIND_SLUGS.items() if kind in (None, slug)]
        for code in kinds:
            drift = dictionary_drift(kind=code)
            row = train_dictionary(kind=code)
            if row is None:
                if kind:
                    raise CommandError(f"{KIND_SLUGS[code]}: too few documents to train a dictionary")
                continue
            self.stdout.write(
                f"{KIND_SLUGS[code]}: v{row.version}, {row.sample_count} samples, "
                f"{row.mean_compressed_bytes:.0f} B/doc (drift before: {drift})"
            )
