"""Fast bulk loading of rows into model tables: COPY on PostgreSQL, executemany on SQLite.

Django's bulk_create builds one model instance per row and one huge INSERT per batch; for the
millions of rows of demo data, imports and archives that costs 5-10× more than streaming plain
tuples into the database's own bulk path, which is what this module does. Rows are tuples in the
order of the field names given; ids are assigned by the caller (see `next_ids`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction


@dataclass(frozen=True)
class TableSpec:
    table: str
    columns: tuple[str, ...]


def table_spec(model: type[models.Model], field_names: Sequence[str]) -> TableSpec:
    """Return the table and column names for the given model fields (attnames, e.g. "branch_id")."""
    columns_by_name: dict[str, str] = {}
    for f in model._meta.concrete_fields:
        columns_by_name[f.name] = columns_by_name[f.attname] = f.column or f.attname
    columns = tuple(columns_by_name[name] for name in field_names)
    return TableSpec(table=model._meta.db_table, columns=columns)


def insert_rows(spec: TableSpec, rows: Iterable[Sequence[object]]) -> int:
    """Insert the rows into the table in the current transaction and return how many were written."""
    if connection.vendor == "postgresql":
        return _copy_rows(spec, rows)
    return _executemany_rows(spec, rows)


def _copy_rows(spec: TableSpec, rows: Iterable[Sequence[object]]) -> int:
    quote = connection.ops.quote_name
    sql = f"COPY {quote(spec.table)} ({', '.join(quote(c) for c in spec.columns)}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _executemany_rows(spec: TableSpec, rows: Iterable[Sequence[object]]) -> int:
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(spec.columns))
    columns = ", ".join(quote(c) for c in spec.columns)
    # Table and column names come from model metadata and are quoted; values are parameters.
    sql = f"INSERT INTO {quote(spec.table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    materialised: list[Any] = rows if isinstance(rows, list) else list(rows)
    with connection.cursor() as cursor:
        cursor.executemany(sql, materialised)
    return len(materialised)


@contextmanager
def bulk_load_session() -> Iterator[None]:
    """Relax durability and per-row FK triggers for a generated bulk load, where PostgreSQL allows it.

    The rows come from our own generator, consistent by construction, so the deferred foreign-key
    checks (one lookup per row and key) are skipped the way pg_restore --disable-triggers does; this
    needs a superuser, so elsewhere the load simply runs with the checks. SQLite gets no fsync per chunk.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit = off")
            try:
                with transaction.atomic():
                    cursor.execute("SET session_replication_role = replica")
            except DatabaseError:
                pass  # not a superuser: keep the checks
        elif not connection.in_atomic_block:  # SQLite refuses the pragma inside a transaction
            cursor.execute("PRAGMA synchronous = OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("RESET session_replication_role")
                cursor.execute("RESET synchronous_commit")
            elif not connection.in_atomic_block:
                cursor.execute("PRAGMA synchronous = NORMAL")


@contextmanager
def indexes_deferred(*model_classes: type[models.Model]) -> Iterator[None]:
    """Drop the secondary indexes of the tables for a bulk load and build them again afterwards.

    Building an index once over sorted data is several times faster than updating it row by row.
    Primary keys and indexes that back constraints stay (PostgreSQL), so data stays checked.
    """
    definitions = [d for model in model_classes for d in secondary_index_definitions(model._meta.db_table)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Inside an open transaction PostgreSQL refuses to alter a table with pending deferred FK checks.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _sql in definitions:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, sql in definitions:
                cursor.execute(sql)


def secondary_index_definitions(table: str) -> list[tuple[str, str]]:
    """Return (name, CREATE INDEX statement) of the table's indexes that back no constraint."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS"
                " (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [table],
            )
        else:
            # Automatic indexes (inline UNIQUE, primary keys) have no SQL and cannot be dropped.
            cursor.execute(
                "SELECT name, sql FROM sqlite_master"
                " WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
        return list(cursor.fetchall())


def analyze_database() -> None:
    """Refresh the planner's statistics after a bulk load.

    Without it PostgreSQL plans against the statistics of the empty tables and scans millions of rows
    for a page that needs ten (measured: dashboard 3.4 s before, 10 ms of queries after).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit = 1000")  # sample, so a multi-GB file takes seconds
        cursor.execute("ANALYZE")


def next_id(model: type[models.Model]) -> int:
    """Return the first free primary key of the model's table (for caller-assigned ids)."""
    top = model._default_manager.aggregate(top=models.Max("pk"))["top"]
    return (top or 0) + 1


def reset_sequences(*model_classes: type[models.Model]) -> None:
    """Move the id sequences past the ids written by bulk loads (PostgreSQL; SQLite needs nothing)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(model_classes)):
            cursor.execute(statement)
