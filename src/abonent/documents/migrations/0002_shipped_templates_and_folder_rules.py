"""Publish the shipped Typst templates as version 1 of each kind and the default folder rules."""

from pathlib import Path

from django.db import migrations
from django.utils import timezone

SLUGS = {1: "bill", 2: "reconciliation_act", 3: "debt_notice", 4: "contract", 5: "appeal_answer",
         6: "grid_connection", 7: "letter"}
# (priority, document kind, attachment source, title contains, folder)
RULES = [
    (10, 1, "", "", "bills"),
    (10, 2, "", "", "bills"),
    (10, 3, "", "", "letters"),
    (10, 4, "", "", "contracts"),
    (10, 5, "", "", "answers"),
    (10, 6, "", "", "applications"),
    (10, 7, "", "", "letters"),
    (20, None, "", "договор", "contracts"),
    (20, None, "", "заявлен", "applications"),
    (20, None, "", "ответ", "answers"),
    (20, None, "", "счёт", "bills"),
    (30, None, "customer", "", "applications"),
    (30, None, "signed", "", "contracts"),
]


def install(apps, schema_editor):
    Template = apps.get_model("documents", "DocumentTemplate")
    FolderRule = apps.get_model("documents", "FolderRule")
    folder = Path(__file__).resolve().parent.parent / "typst"
    now = timezone.now()
    for kind, slug in SLUGS.items():
        if not Template.objects.filter(kind=kind).exists():
            Template.objects.create(
                kind=kind, version=1, status="published", published_at=now, note="shipped with Abonent",
                source=(folder / f"{slug}.typ").read_text(encoding="utf-8"),
            )
    if not FolderRule.objects.exists():
        FolderRule.objects.bulk_create(
            FolderRule(priority=p, document_kind=k, attachment_source=s, title_contains=t, folder=f)
            for p, k, s, t, f in RULES
        )


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
