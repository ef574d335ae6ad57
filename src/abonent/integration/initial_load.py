"""The initial-load mode: a first import into empty tables builds the indexes it does not read at its end.

Each input row of a customer+account export writes a customer, its contacts, premises, an account and
two source records; kept row by row, their secondary indexes are most of what those inserts cost
(an index built once over the finished table is a sort, several times cheaper), and so are the
foreign-key checks: PostgreSQL's triggers at commit, SQLite's probe per row and key. Only the unique
indexes stay (account numbers, source records); the e-mails and INNs other customers hold are answered
from memory (the applier keeps the repeated ones it stored), and the duplicate search, which reads the
blocking keys' indexes, runs once over the whole load after they are built again.
The dropped definitions are written on the run (`deferred_indexes`) in the transaction that drops
them, so a run resumed after a crash, a failed run and a finished one all build them again; nothing
else is needed to recover. A foreign key added back checks every row in one pass.

The mode is asked for explicitly (`start_import(initial_load=True)`, `run_import --initial-load`) and
taken only while the customers and accounts tables are empty and no other first load is under way: on
a live database other users' queries need the indexes, and the skipped look-ups assume that this run
is the only writer of customers; elsewhere the request is ignored and the run goes the usual way.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, models, transaction

from abonent.core.bulk import secondary_index_definitions
from abonent.customers.models import Account, Contact, Customer, Premises
from abonent.integration.models import ImportRun, SourceRecord

logger = logging.getLogger(__name__)

# The tables a first load writes, with the columns the applier looks up in them while it writes (their
# indexes stay): none besides the unique ones, which are never dropped. Its e-mail and INN look-ups are
# answered from memory (`CustomerAccountApplier._taken`).
_READ: dict[type[models.Model], set[tuple[str, ...]]] = {
    Customer: set(),
    Contact: set(),
    Account: set(),
    Premises: set(),
}
_COLUMNS = re.compile(r"\(([^()]*)\)\s*;?\s*$")


def claim_initial_load(run: ImportRun) -> bool:
    """Return whether the run writes in the initial-load mode; a run that asked for it keeps it only if
    it found the target tables empty when it first started (recorded, so a resumed run keeps its mode)."""
    if not run.initial_load or run.deferred_indexes or run.cursor:
        return run.initial_load
    # Each run is marked running before it claims, so of two starting together at least one sees the other.
    loading = ImportRun.objects.filter(initial_load=True, status=ImportRun.Status.RUNNING).exclude(pk=run.pk)
    if Customer.objects.exists() or Account.objects.exists() or loading.exists():
        logger.info("import run %s: tables not empty or being loaded, initial-load mode not taken", run.pk)
        ImportRun.objects.filter(pk=run.pk).update(initial_load=False)
        run.initial_load = False
    return run.initial_load


def defer_indexes(run: ImportRun) -> None:
    """Drop what the target tables can do without while the run writes, recording how to restore it."""
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        recorded = [list(entry) for entry in locked.deferred_indexes]
        known = {entry[0] for entry in recorded}
        found = [entry for entry in _deferrable() if entry[0] not in known]
        with connection.cursor() as cursor:
            _checks_now(cursor)
            for _name, _create, drop in found:
                cursor.execute(drop)
        ImportRun.objects.filter(pk=run.pk).update(deferred_indexes=recorded + found)
    run.deferred_indexes = recorded + found


def rebuild_indexes(run: ImportRun) -> None:
    """Build what the run dropped (what is still missing) and clear the record, in one transaction.

    Indexes come first, so that the foreign keys' one-pass validation finds them.
    """
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if not locked.deferred_indexes:
            return
        present = {entry[0] for entry in _deferrable()}
        with connection.cursor() as cursor:
            _checks_now(cursor)
            for name, create, _drop in sorted(
                locked.deferred_indexes, key=lambda e: e[1].startswith("ALTER")
            ):
                if name not in present:
                    cursor.execute(create)
        ImportRun.objects.filter(pk=run.pk).update(deferred_indexes=[])
    run.deferred_indexes = []


@contextmanager
def foreign_keys_unchecked(run: ImportRun) -> Iterator[None]:
    """Let a first load on SQLite write without the per-row foreign-key probes (checked at its end).

    SQLite checks each key of each row as it is written (an account has three) and cannot drop a
    foreign key; the pragma holds for this connection only, outside a transaction (inside one, as in
    a test's, it is ignored and the checks simply stay). A run killed meanwhile leaves nothing behind:
    the next connection checks again, and the resumed run checks the whole load at its end.
    """
    sqlite = run.initial_load and connection.vendor == "sqlite"
    unchecked = sqlite and connection.disable_constraint_checking()
    try:
        yield
    finally:
        if unchecked:
            connection.enable_constraint_checking()


def check_loaded_foreign_keys() -> None:
    """Check every foreign key of the tables a first load wrote in one pass each (SQLite; raises
    IntegrityError). PostgreSQL checked them when `rebuild_indexes` added its constraints back."""
    if connection.vendor == "sqlite":
        connection.check_constraints(table_names=[model._meta.db_table for model in _READ])


def analyze_loaded_tables() -> None:
    """Give the planner the statistics of the loaded tables (it still plans for the empty ones).

    The duplicate search that follows a first load joins the customers with themselves: planned on
    empty-table statistics it took 8.2 s for a million customers on PostgreSQL, 2.3 s after ANALYZE.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit = 1000")  # sampled, as core.bulk.analyze_database does
        tables: list[type[models.Model]] = [*_READ, SourceRecord]
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _deferrable() -> list[list[str]]:
    """Return [name, statement to create, statement to drop] of what is there and may be deferred.

    The unread secondary indexes; on PostgreSQL also the foreign keys of the tables written, whose
    deferred checks run a trigger per row at commit (a third of the server's work in a first load,
    measured) where adding the constraint back checks the whole table in one join.
    """
    quote = connection.ops.quote_name
    entries = []
    for model, read in _READ.items():
        table = model._meta.db_table
        entries += [
            [name, sql, f"DROP INDEX IF EXISTS {quote(name)}"]
            for name, sql in secondary_index_definitions(table)
            if not _is_read(sql, read)
        ]
        entries += [
            [
                name,
                f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}",
                f"ALTER TABLE {quote(table)} DROP CONSTRAINT IF EXISTS {quote(name)}",
            ]
            for name, definition in _foreign_keys(table)
        ]
    return entries


def _foreign_keys(table: str) -> list[tuple[str, str]]:
    if connection.vendor != "postgresql":
        return []  # SQLite checks a foreign key with one primary-key probe per row: cheap, kept
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [connection.ops.quote_name(table)],
        )
        return list(cursor.fetchall())


def _checks_now(cursor: Any) -> None:
    """Let PostgreSQL alter the tables inside a transaction that already wrote to them (a test's, a
    caller's): it refuses while deferred foreign-key checks are pending."""
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _is_read(sql: str, read: set[tuple[str, ...]]) -> bool:
    """Tell whether a CREATE INDEX statement covers exactly columns the import looks up.

    PostgreSQL's `varchar_pattern_ops` twin of an index (for LIKE) has the same column with an
    operator class after it, so it does not match and is deferred too.
    """
    if sql.upper().startswith("CREATE UNIQUE"):
        return True  # a unique index checks data: never dropped
    match = _COLUMNS.search(sql)
    if match is None:
        return True  # an expression or partial index we do not understand: left alone
    columns = tuple(part.strip().strip('"').lower() for part in match.group(1).split(","))
    return columns in read
