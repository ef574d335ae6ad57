"""Load the federal production calendar and make the audit log append-only in the database.

The calendar comes straight from data/ru_production_calendar.json (not from application code,
which may change after this migration is written). The audit log gets triggers that reject
UPDATE and DELETE on core_auditevent for SQLite and PostgreSQL, so no code path (queryset
.update()/.delete(), raw SQL, admin actions) can rewrite history.

Note for later migrations on SQLite: altering core_auditevent makes Django rebuild the table,
which drops these triggers; such a migration must create them again (reuse the SQL below).
"""

import json
from pathlib import Path

from django.db import migrations

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "ru_production_calendar.json"
FEDERAL_CALENDAR_NAME = "Россия (федеральный)"

SQLITE_INSTALL = [
    """
    CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'core_auditevent is append-only: UPDATE is not allowed on the audit log');
    END
    """,
    """
    CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'core_auditevent is append-only: DELETE is not allowed on the audit log');
    END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete",
]

POSTGRESQL_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'core_auditevent is append-only: % is not allowed on the audit log', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER core_auditevent_append_only
    BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only()
    """,
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent",
    "DROP FUNCTION IF EXISTS core_auditevent_append_only()",
]

TRIGGER_SQL = {
    "sqlite": (SQLITE_INSTALL, SQLITE_REMOVE),
    "postgresql": (POSTGRESQL_INSTALL, POSTGRESQL_REMOVE),
}


def load_calendar(apps, schema_editor):
    BusinessCalendar = apps.get_model("core", "BusinessCalendar")
    CalendarDay = apps.get_model("core", "CalendarDay")
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    calendar, _ = BusinessCalendar.objects.get_or_create(name=FEDERAL_CALENDAR_NAME)
    for entry in data["years"]:
        for day in entry["days"]:
            CalendarDay.objects.update_or_create(
                calendar=calendar, date=day["date"], defaults={"kind": day["kind"], "note": day["note"]}
            )


def install_triggers(apps, schema_editor):
    for statement in TRIGGER_SQL.get(schema_editor.connection.vendor, ([], []))[0]:
        schema_editor.execute(statement, params=None)


def remove_triggers(apps, schema_editor):
    for statement in TRIGGER_SQL.get(schema_editor.connection.vendor, ([], []))[1]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(load_calendar, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
