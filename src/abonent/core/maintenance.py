"""Whole-database maintenance that must get past the audit log's append-only triggers.

Only erasing a whole database (`manage.py demo --reset`, the test runner's flush between
transactional tests) may remove audit events. PostgreSQL empties tables with TRUNCATE, which row
triggers do not see; SQLite deletes row by row, so its triggers are lifted for the erase and put back.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# The trigger SQL lives in the migration that installed it; reuse it rather than keep a second copy.
_TRIGGERS = importlib.import_module("abonent.core.migrations.0003_federal_calendar")


@contextmanager
def audit_log_erasable() -> Iterator[None]:
    """Let the block erase the audit log along with everything else, then protect it again."""
    if connection.vendor != "sqlite":
        yield
        return
    _execute(_TRIGGERS.SQLITE_REMOVE)
    try:
        yield
    finally:
        _execute(_TRIGGERS.SQLITE_INSTALL)


def _execute(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
