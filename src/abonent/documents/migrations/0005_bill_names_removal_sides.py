"""Publish the bill layout naming the side of a meter's removal a line bills, as 0003 publishes one.

Earlier versions stay as they were for the documents issued with them.
"""

from importlib import import_module

from django.db import migrations

publish = import_module("abonent.documents.migrations.0003_faster_bill_layout").publisher(
    "shipped with Abonent: lines split by a meter's removal name their side"
)


class Migration(migrations.Migration):
    dependencies = [("documents", "0004_bill_layout_without_nested_grids")]
    operations = [migrations.RunPython(publish, migrations.RunPython.noop)]
