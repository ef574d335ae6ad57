"""The initial-load mode: a first import into empty tables builds the indexes it does not read at its end.

Each input row of a customer+account export writes a customer, its contacts, premises, an account and
two source records; kept row by row, their secondary indexes are most of what those inserts cost
(an index built once over the finished table is a sort, several times cheaper). The indexes the import
reads while it writes (e-mail and INN look-ups, the duplicate search's blocking keys, the unique
account number and source records) stay. The dropped definitions are written on the run in the
transaction that drops them, so a run resumed after a crash, a failed run and a finished one all
build them again; nothing else is needed to recover.

The mode is asked for explicitly (`start_import(initial_load=True)`, `run_import --initial-load`) and
taken only while the customers and accounts tables are empty: on a live database other users' queries
need the indexes, so there the request is ignored and the run goes the usual way.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import connection, models, transaction

from abonent.core.bulk import secondary_index_definitions
from abonent.customers.models import Account, Contact, Customer, Premises
from abonent.integration.models import ImportRun

logger = logging.getLogger(__name__)

# The columns the customer/account applier looks up while it writes: their indexes stay.
_READ: dict[type[models.Model], set[tuple[str, ...]]] = {
    Customer: {("inn",), ("match_name",), ("match_block",)},
    Contact: {("kind", "value")},
    Account: set(),
    Premises: set(),
}
_COLUMNS = re.compile(r"\(([^()]*)\)\s*;?\s*$")


def claim_initial_load(run: ImportRun) -> bool:
    """Return whether the run writes in the initial-load mode; a run that asked for it keeps it only if
    it found the target tables empty when it first started (recorded, so a resumed run keeps its mode)."""
    if not run.initial_load or run.deferred_indexes or run.cursor:
        return run.initial_load
    if Customer.objects.exists() or Account.objects.exists():
        logger.info("import run %s: tables not empty, initial-load mode not taken", run.pk)
        ImportRun.objects.filter(pk=run.pk).update(initial_load=False)
        run.initial_load = False
    return run.initial_load


def defer_indexes(run: ImportRun) -> None:
    """Drop the target tables' unread secondary indexes and record their definitions on the run."""
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        recorded = [list(pair) for pair in locked.deferred_indexes]
        known = {name for name, _sql in recorded}
        found = [
            [name, sql]
            for model, read in _READ.items()
            for name, sql in secondary_index_definitions(model._meta.db_table)
            if name not in known and not _is_read(sql, read)
        ]
        with connection.cursor() as cursor:
            _checks_now(cursor)
            for name, _sql in found:
                cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
        ImportRun.objects.filter(pk=run.pk).update(deferred_indexes=recorded + found)
    run.deferred_indexes = recorded + found


def rebuild_indexes(run: ImportRun) -> None:
    """Build the indexes the run dropped (those still missing) and clear the record, in one transaction."""
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if not locked.deferred_indexes:
            return
        present = {
            name for model in _READ for name, _sql in secondary_index_definitions(model._meta.db_table)
        }
        with connection.cursor() as cursor:
            _checks_now(cursor)
            for name, sql in locked.deferred_indexes:
                if name not in present:
                    cursor.execute(sql)
        ImportRun.objects.filter(pk=run.pk).update(deferred_indexes=[])
    run.deferred_indexes = []


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
