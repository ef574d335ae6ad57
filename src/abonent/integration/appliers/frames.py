"""The database side of the set-wise appliers: polars frames in and out, a fixed number of statements.

A chunk of 20,000 rows costs a handful of round trips: keys are looked up with batched `IN (...)`
in plain SQL (the ORM prepares every value of a long IN list one by one), and frames are written
by PostgreSQL's COPY from the CSV polars writes in Rust, or by SQLite's executemany over the
frame's rows. Nothing builds a model instance or a dict per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl
from django.db import connection

from abonent.core.bulk import TableSpec

IN_BATCH = 5000  # values per IN (...): under SQLite's variable limit and PostgreSQL's comfort


def select_in(sql: str, values: Iterable[Any], params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run `sql` (holding one `{in_list}` after a column, then `params`) over the values in batches.

    PostgreSQL gets the values as one array parameter (`= ANY(%s)`): psycopg would otherwise parse
    a query with thousands of placeholders for every batch, which costs more than the lookup.
    """
    wanted = sorted({v for v in values if v not in ("", None)})
    postgres = connection.vendor == "postgresql"
    size = IN_BATCH * 10 if postgres else IN_BATCH
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), size):
            batch = wanted[start : start + size]
            if postgres:
                cursor.execute(sql.format(in_list="= ANY(%s)"), [batch, *params])
            else:
                cursor.execute(
                    sql.format(in_list=f"IN ({', '.join(['%s'] * len(batch))})"), [*batch, *params]
                )
            found.extend(cursor.fetchall())
    return found


def rows_frame(rows: list[tuple[Any, ...]], schema: dict[str, Any]) -> pl.DataFrame:
    """Return fetched rows as a frame of the given schema (empty when nothing came back)."""
    return pl.DataFrame(rows, schema=schema, orient="row")


def table_frame(frame: pl.DataFrame, columns: Sequence[str], exprs: Sequence[pl.Expr]) -> pl.DataFrame:
    """Return the expressions over the frame as columns named after the table's (literals need names)."""
    return frame.select(expr.alias(name) for name, expr in zip(columns, exprs, strict=True))


def insert_frame(spec: TableSpec, frame: pl.DataFrame) -> int:
    """Insert the frame's rows (columns in the spec's order) in the open transaction."""
    if frame.is_empty():
        return 0
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in spec.columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Polars quotes empty strings, so an unquoted empty field is the only NULL.
            data = frame.write_csv(include_header=False, null_value="")
            with cursor.cursor.copy(f"COPY {quote(spec.table)} ({columns}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(data)
        else:
            marks = ", ".join(["%s"] * len(spec.columns))
            # Table and column names come from model metadata; values are parameters.
            sql = f"INSERT INTO {quote(spec.table)} ({columns}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(sql, frame.rows())
    return frame.height


def update_rows(table: str, columns: Sequence[str], key: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """UPDATE the table's rows found by `key` columns; each row holds the new values, then the key."""
    if not rows:
        return
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
    where = " AND ".join(f"{quote(c)} = %s" for c in key)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {quote(table)} SET {assignments} WHERE {where}", rows)  # noqa: S608


def now_literal() -> Any:
    """Return the current time as the database stores it (adapted once, not once per row)."""
    from django.utils import timezone

    now = timezone.now()
    if connection.vendor == "postgresql":
        return now.isoformat()
    return connection.ops.adapt_datetimefield_value(now)
