"""Whole-database maintenance that must get past the append-only tables' triggers.

The audit log and the billing ledger refuse UPDATE and DELETE in the database itself. Only erasing a
whole database (`manage.py demo --reset`, the test runner's flush after a transactional test) may
remove their rows. PostgreSQL empties tables with TRUNCATE, which row triggers do not see; SQLite deletes
row by row, so there the triggers are lifted for the erase and put back.

Each app that installs such triggers registers the migration that holds their SQL (its module exposes
SQLITE_INSTALL and SQLITE_REMOVE) in its AppConfig.ready(); the SQL is not kept twice.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_APPEND_ONLY: dict[str, str] = {}  # table → migration module holding its trigger SQL


def register_append_only_table(*, table: str, migration_module: str) -> None:
    _APPEND_ONLY[table] = migration_module


def append_only_tables() -> list[str]:
    return sorted(_APPEND_ONLY)


@contextmanager
def append_only_tables_erasable() -> Iterator[None]:
    """Let the block erase the append-only tables along with everything else, then protect them again."""
    if connection.vendor != "sqlite":
        yield
        return
    modules = [importlib.import_module(path) for path in _APPEND_ONLY.values()]
    for module in modules:
        _execute(module.SQLITE_REMOVE)
    try:
        yield
    finally:
        for module in modules:
            _execute(module.SQLITE_INSTALL)


def _execute(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
