"""The demo's bulk load: chunks generated anywhere give the same rows, and the schema ends as migrated."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from abonent.customers.dedup import set_match_keys
from abonent.customers.models import Customer
from abonent.demo.population import ID_ROOM, ChunkPlan, Rows, generate_chunk, generated_chunks
from abonent.demo.session import LOAD_PRAGMAS, fast_sqlite_load

SERVICES = ("electricity", "heating", "hot-water", "cold-water", "sewage", "waste", "gas")


def _plans(count: int, size: int) -> list[ChunkPlan]:
    plans, first = [], dict.fromkeys(ID_ROOM, 1)
    for index in range(count):
        plans.append(
            ChunkPlan(
                seed=f"7:{index}",
                count=size,
                branch_id=1,
                region_code="66",
                districts=(1, 2, 3),
                postal_prefix="620",
                first_number=1 + index * size,
                first_ids=dict(first),
                today=739_580,
                now="2026-11-24T00:00:00+00:00",
                service_ids={code: n for n, code in enumerate(SERVICES, start=1)},
            )
        )
        first = {table: first[table] + room * size for table, room in ID_ROOM.items()}
    return plans


def test_worker_processes_generate_the_same_rows_as_this_process() -> None:
    plans = _plans(3, 400)
    with generated_chunks(plans, processes=1) as chunks:
        here = list(chunks)
    with generated_chunks(plans, processes=2) as chunks:
        in_workers = list(chunks)
    assert here == in_workers
    assert here[0] != here[1]  # each chunk its own seed


def test_chunks_keep_to_their_own_id_ranges() -> None:
    plans = _plans(3, 500)
    chunks: list[Rows] = [generate_chunk(plan) for plan in plans]
    tables = {
        "customer": "customers",
        "contact": "contacts",
        "building": "buildings",
        "premises": "premises",
        "account": "accounts",
        "account_service": "account_services",
        "meter": "meters",
    }
    for table, attribute in tables.items():
        seen: set[int] = set()
        for plan, rows in zip(plans, chunks, strict=True):
            ids = [row[0] for row in getattr(rows, attribute)]
            low = plan.first_ids[table]
            assert all(low <= i < low + ID_ROOM[table] * plan.count for i in ids), table
            assert not seen & set(ids), table
            seen.update(ids)
    numbers = [row[1] for rows in chunks for row in rows.accounts]
    assert len(set(numbers)) == 1500


def _indexes() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        return set(cursor.fetchall())


@pytest.mark.django_db
def test_the_demo_leaves_every_index_as_the_migrations_made_it() -> None:
    if connection.vendor == "postgresql":
        # Indexes are rebuilt; PostgreSQL refuses that while the test transaction has pending FK checks.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    before = _indexes()
    call_command("demo", accounts=300, verbosity=0)
    assert _indexes() == before
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []


@pytest.mark.django_db(transaction=True)
def test_the_fast_load_settings_are_put_back() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite pragmas")

    def pragmas() -> dict[str, object]:
        with connection.cursor() as cursor:
            return {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in LOAD_PRAGMAS}

    before = pragmas()
    with fast_sqlite_load():
        during = pragmas()
    assert during["journal_mode"] == "memory" and during["foreign_keys"] == 0
    assert pragmas() == before


@pytest.mark.django_db
def test_the_population_can_be_found_by_the_duplicate_search() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("demo", accounts=60, verbosity=0)
    customers = Customer.objects.filter(accounts__number__regex=r"^[0-9]{2}00000")
    assert customers.count() >= 60
    for customer in customers:
        stored = (customer.match_name, customer.match_block)
        set_match_keys(customer)
        assert stored == (customer.match_name, customer.match_block)
        assert customer.match_name
