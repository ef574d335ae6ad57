"""Load the penalty reference data and make the ledger append-only in the database.

The data comes straight from billing/data/*.json (not from application code, which may change after
this migration is written): the Bank of Russia key rates, the decree cap on the rate, the moratoria,
the penalty scales and the payment due rules (10th, then 15th from 01.03.2026). `load_reference`
is also what `billing.services.reference.load_reference_data` runs after a database was flushed.

The ledger gets triggers that reject UPDATE and DELETE on billing_ledgerentry for SQLite and
PostgreSQL, as core 0003 does for the audit log, so no code path (queryset .update()/.delete(), raw
SQL, admin actions) can rewrite a posted entry. On SQLite, a later migration that alters the table
rebuilds it and drops these triggers: it must create them again (reuse the SQL below).
"""

import json
from pathlib import Path

from django.db import migrations

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

SQLITE_INSTALL = [
    """
    CREATE TRIGGER billing_ledgerentry_no_update BEFORE UPDATE ON billing_ledgerentry
    BEGIN
        SELECT RAISE(ABORT, 'billing_ledgerentry is append-only: post a correcting entry instead of UPDATE');
    END
    """,
    """
    CREATE TRIGGER billing_ledgerentry_no_delete BEFORE DELETE ON billing_ledgerentry
    BEGIN
        SELECT RAISE(ABORT, 'billing_ledgerentry is append-only: post a correcting entry instead of DELETE');
    END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS billing_ledgerentry_no_update",
    "DROP TRIGGER IF EXISTS billing_ledgerentry_no_delete",
]

POSTGRESQL_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION billing_ledgerentry_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'billing_ledgerentry is append-only: % is not allowed; post a correcting entry', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER billing_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON billing_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION billing_ledgerentry_append_only()
    """,
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS billing_ledgerentry_append_only ON billing_ledgerentry",
    "DROP FUNCTION IF EXISTS billing_ledgerentry_append_only()",
]

TRIGGER_SQL = {
    "sqlite": (SQLITE_INSTALL, SQLITE_REMOVE),
    "postgresql": (POSTGRESQL_INSTALL, POSTGRESQL_REMOVE),
}


def load_reference(get_model):
    """Create or update the reference rows; get_model(app_label, model_name) returns a model class."""
    rates = json.loads((DATA_DIR / "key_rates.json").read_text(encoding="utf-8"))
    rules = json.loads((DATA_DIR / "penalty_rules.json").read_text(encoding="utf-8"))
    KeyRate = get_model("billing", "KeyRate")
    for row in rates["rates"]:
        KeyRate.objects.update_or_create(
            valid_from=row["valid_from"], defaults={"rate": row["rate"], "decision": row["decision"]}
        )
    PenaltyRateCap = get_model("billing", "PenaltyRateCap")
    for row in rules["caps"]:
        PenaltyRateCap.objects.update_or_create(
            valid_from=row["valid_from"],
            defaults={"valid_until": row["valid_until"], "cap": row["cap"], "basis": row["basis"]},
        )
    PenaltyMoratorium = get_model("billing", "PenaltyMoratorium")
    for row in rules["moratoria"]:
        PenaltyMoratorium.objects.update_or_create(
            starts_on=row["starts_on"], category="", defaults={"ends_on": row["ends_on"], "basis": row["basis"]}
        )
    PenaltyScale = get_model("billing", "PenaltyScale")
    for row in rules["scales"]:
        keys = {"category": row["category"], "valid_from": row["valid_from"]}
        PenaltyScale.objects.update_or_create(**keys, defaults={k: v for k, v in row.items() if k not in keys})
    PaymentDueRule = get_model("billing", "PaymentDueRule")
    for row in rules["due_rules"]:
        PaymentDueRule.objects.update_or_create(
            organisation=None,
            valid_from=row["valid_from"],
            defaults={k: v for k, v in row.items() if k != "valid_from"},
        )


def load_reference_data(apps, schema_editor):
    load_reference(apps.get_model)


def install_triggers(apps, schema_editor):
    for statement in TRIGGER_SQL.get(schema_editor.connection.vendor, ([], []))[0]:
        schema_editor.execute(statement, params=None)


def remove_triggers(apps, schema_editor):
    for statement in TRIGGER_SQL.get(schema_editor.connection.vendor, ([], []))[1]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load_reference_data, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
