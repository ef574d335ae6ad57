"""Publish the bill layout without nested grids or auto-measured service rows (see typst/bill.typ).

Same as 0003: published versions never change, so documents issued with versions 1 and 2 keep
rendering with them; a database that already holds this source (a fresh one, from 0002) gets nothing.
"""

from importlib import import_module

from django.db import migrations

publisher = import_module("abonent.documents.migrations.0003_faster_bill_layout").publisher


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_faster_bill_layout")]
    operations = [
        migrations.RunPython(
            publisher("shipped with Abonent: no nested grids, measured service rows, QR as an image"),
            migrations.RunPython.noop,
        )
    ]
