"""The charge run appends millions of ledger entries and bills: indexes it need not update per row.

The ledger's own account index duplicates the start of ledger_account_idx, and the bills' the start
of bill_unique_period; the indexes of the group key, the corrected entry and the staff author skip
the entries without one (nearly all). On SQLite, changing a column's index rebuilds the table, which
drops its triggers, so the ledger's append-only triggers of 0002 are installed again afterwards.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

_TRIGGERS = importlib.import_module(
    "abonent.billing.migrations.0002_reference_data_and_append_only_ledger"
).TRIGGER_SQL


def reinstall_sqlite_triggers(apps, schema_editor):
    """Put back the append-only triggers that rebuilding the SQLite table dropped (PostgreSQL keeps them)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    install, remove = _TRIGGERS["sqlite"]
    for statement in [*remove, *install]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_charge_runs_bills_benefits"),
        ("customers", "0002_customermerge_duplicatecandidate_syncevent_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Unapplying rebuilds the tables again: the triggers come back last then too.
        migrations.RunPython(migrations.RunPython.noop, reinstall_sqlite_triggers),
        migrations.AlterField(
            model_name="bill",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="bills",
                to="customers.account",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ledger_entries",
                to="customers.account",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="corrects",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="corrections",
                to="billing.ledgerentry",
                verbose_name="corrects",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="group_key",
            field=models.CharField(
                blank=True,
                help_text="The key of the operation that posted several entries at once (a split payment).",
                max_length=200,
                verbose_name="operation",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="posted_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="posted by",
            ),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                condition=models.Q(("group_key", ""), _negated=True),
                fields=["group_key"],
                name="ledger_group_key_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                condition=models.Q(("corrects__isnull", False)),
                fields=["corrects"],
                name="ledger_corrects_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                condition=models.Q(("posted_by__isnull", False)),
                fields=["posted_by"],
                name="ledger_posted_by_idx",
            ),
        ),
        migrations.RunPython(reinstall_sqlite_triggers, migrations.RunPython.noop),
    ]
