"""SQLite settings for the demo's bulk load: no journal on disk, a large cache, no per-row key checks.

The demo is generated into a fresh database and is regenerated rather than repaired, so the load
trades crash safety for speed the way `sqlite3 .import` users do: the rollback journal lives in memory
(WAL would write every page twice: once to the log, once at the checkpoint), pages are not synced, a
1 GB page cache and in-memory temporary storage keep index builds off the disk, and foreign keys are
not looked up per row (the generator's rows are consistent by construction; the demo tests check
them). Everything is put back as settings.py leaves it when the block ends. Inside an open
transaction (a test) SQLite refuses these pragmas, so nothing changes there. PostgreSQL has its
own settings in `abonent.core.bulk.bulk_load_session`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

LOAD_PRAGMAS = {
    "journal_mode": "MEMORY",
    "synchronous": "OFF",
    "cache_size": "-1000000",
    "temp_store": "MEMORY",
    "foreign_keys": "OFF",
}


@contextmanager
def fast_sqlite_load() -> Iterator[None]:
    """Relax SQLite's durability settings for the length of the block and restore them afterwards."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        before = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in LOAD_PRAGMAS}
        for name, value in LOAD_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in before.items():
                cursor.execute(f"PRAGMA {name} = {value}")
