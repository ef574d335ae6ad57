"""Publish the faster bill layout (grids with fixed columns, see typst/bill.typ) as the bill's next version.

Published versions never change: documents archived with version 1 keep rendering with it. A fresh
database got the new layout as version 1 already (0002 reads the file), so nothing is added there.
"""

from pathlib import Path

from django.db import migrations
from django.utils import timezone

BILL = 1


def publisher(note):
    """Return a migration step that publishes typst/bill.typ as the bill's next version, with the note."""

    def publish(apps, schema_editor):
        publish_bill(apps, note)

    return publish


def publish_bill(apps, note):
    Template = apps.get_model("documents", "DocumentTemplate")
    source = (Path(__file__).resolve().parent.parent / "typst" / "bill.typ").read_text(encoding="utf-8")
    newest = Template.objects.filter(kind=BILL).order_by("-version").first()
    if newest is None or Template.objects.filter(kind=BILL, source=source).exists():
        return
    Template.objects.create(
        kind=BILL,
        version=newest.version + 1,
        status="published",
        published_at=timezone.now(),
        note=note,
        source=source,
    )


publish = publisher("shipped with Abonent: faster layout (grids, fixed columns)")


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_shipped_templates_and_folder_rules")]
    operations = [migrations.RunPython(publish, migrations.RunPython.noop)]
