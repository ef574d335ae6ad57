"""The audit log is append-only in the database itself, not only in the model's save()."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from abonent.core.models import AuditEvent


@pytest.fixture
def event(db) -> AuditEvent:
    return AuditEvent.objects.create(
        actor_label="operator",
        action=AuditEvent.Action.VIEW,
        object_type="customers.Account",
        object_id="42",
        reason="Звонок абонента",
        personal_data=True,
    )


def test_events_can_be_appended(event: AuditEvent) -> None:
    AuditEvent.objects.create(
        actor_label="system", action=AuditEvent.Action.EXPORT, object_type="x", object_id="1"
    )
    assert AuditEvent.objects.count() == 2


def test_a_queryset_update_is_rejected_by_the_database(event: AuditEvent) -> None:
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="Подчистили")
    event.refresh_from_db()
    assert event.reason == "Звонок абонента"


def test_a_queryset_delete_is_rejected_by_the_database(event: AuditEvent) -> None:
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_bulk_update_is_rejected_by_the_database(event: AuditEvent) -> None:
    event.reason = "Подчистили"
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["reason"])
    event.refresh_from_db()
    assert event.reason == "Звонок абонента"


def test_raw_sql_cannot_rewrite_the_log_either(event: AuditEvent) -> None:
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET actor_label = %s", ["nobody"])  # noqa: S608 - a fixed table name
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a fixed table name
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "operator"


def test_the_model_refuses_before_the_database_is_asked(event: AuditEvent) -> None:
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
