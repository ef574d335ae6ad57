"""A first load's duplicate search in memory queues what the per-chunk SQL search queues."""

from __future__ import annotations

import pytest

from abonent.customers.models import Contact, Customer, DuplicateCandidate
from abonent.integration.appliers import customers as applier_module
from abonent.integration.appliers import pairs
from abonent.integration.appliers.customers import CustomerAccountApplier
from abonent.integration.dirty import write_dirty_export
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _queued() -> set[tuple[int, int, int, tuple[str, ...]]]:
    rows = DuplicateCandidate.objects.values_list("customer_id", "duplicate_of_id", "score", "reasons")
    return {(new, old, score, tuple(reasons)) for new, old, score, reasons in rows}


@pytest.mark.parametrize("cap", [200, 2], ids=["cap-200", "cap-2"])
def test_the_pairs_found_in_memory_are_those_sql_finds(
    tmp_path, accounts_profile, imported, monkeypatch, cap
):
    write_dirty_export(rows=3000, out=tmp_path / "x.csv", seed=5)
    imported(accounts_profile, tmp_path / "x.csv")
    # Twins sharing a phone, and more customers under one blocking key than a small cap lets through.
    for _ in range(4):
        twin = CustomerFactory(last_name="Ковалёва", first_name="Анна", middle_name="Ильинична")
        Contact.objects.create(customer=twin, kind=Contact.Kind.PHONE, value="+79990000001")
    monkeypatch.setattr(applier_module, "MAX_BLOCK", cap)
    monkeypatch.setattr(pairs, "MAX_BLOCK", cap)
    applier = CustomerAccountApplier(
        source_id=accounts_profile.source_id, branch_id=0, kind="accounts", run_id=1, today=None
    )
    DuplicateCandidate.objects.all().delete()
    ids = Customer.objects.order_by("pk").values_list("pk", flat=True)
    applier._queue_pairs(ids.first(), ids.last(), {}, mine=None)
    by_sql = _queued()
    DuplicateCandidate.objects.all().delete()

    queued = pairs.queue_all_duplicates(source="import:1")

    assert _queued() == by_sql and queued == len(by_sql)
    assert len(by_sql) > 10 and any("phone" in reasons for *_ignored, reasons in by_sql)


def test_a_first_load_queues_from_what_it_kept_what_sql_finds_in_its_tables(
    tmp_path, accounts_profile, imported
):
    write_dirty_export(rows=3000, out=tmp_path / "x.csv", seed=5)
    run = imported(accounts_profile, tmp_path / "x.csv", initial_load=True, chunk_rows=700)
    assert run.initial_load
    from_memory = _queued()
    DuplicateCandidate.objects.all().delete()
    applier = CustomerAccountApplier(
        source_id=accounts_profile.source_id, branch_id=0, kind="accounts", run_id=run.pk, today=None
    )
    ids = Customer.objects.order_by("pk").values_list("pk", flat=True)

    applier._queue_pairs(ids.first(), ids.last(), {}, mine=None)

    assert _queued() == from_memory and len(from_memory) > 10
