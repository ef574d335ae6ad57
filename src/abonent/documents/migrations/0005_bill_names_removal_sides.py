"""Publish the bill layout that names which side of a meter's removal a line bills (see typst/bill.typ).

Same as 0003: published versions never change, so documents issued with earlier versions keep
rendering with them; a database that already holds this source (a fresh one, from 0002) gets nothing.
"""

from importlib import import_module

from django.db import migrations

publisher = import_module("abonent.documents.migrations.0003_faster_bill_layout").publisher


class Migration(migrations.Migration):
    dependencies = [("documents", "0004_bill_layout_without_nested_grids")]
    operations = [
        migrations.RunPython(
            publisher("shipped with Abonent: lines split by a meter's removal name their side"),
            migrations.RunPython.noop,
        )
    ]
