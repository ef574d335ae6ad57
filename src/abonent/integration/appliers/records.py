"""The source's records (key → content hash, target id) for a chunk, read and written as frames."""

from __future__ import annotations

import polars as pl
from django.db import connection

from abonent.core.bulk import table_spec
from abonent.integration.appliers.frames import insert_frame, rows_frame, select_in, update_rows
from abonent.integration.models import SourceRecord

_SCHEMA = {"key": pl.String, "row_hash": pl.Int64, "target_id": pl.Int64}


def load_records_frame(source_id: int, kind: str, keys: pl.Series) -> pl.DataFrame:
    """Return (key, row_hash, target_id) of what the source sent before under the given keys."""
    table = connection.ops.quote_name(SourceRecord._meta.db_table)
    rows = select_in(
        f"SELECT key, row_hash, target_id FROM {table} WHERE key {{in_list}}"  # noqa: S608 - our table
        " AND source_id = %s AND kind = %s",
        keys.unique().to_list(),
        [source_id, kind],
    )
    return rows_frame(rows, _SCHEMA)


def save_records_frame(
    source_id: int, kind: str, records: pl.DataFrame, run_id: int | None, *, known: pl.DataFrame
) -> None:
    """Insert the (key, row_hash, target_id) records that are new and update the ones known."""
    new = records.join(known, on="key", how="anti").select(
        pl.lit(source_id).alias("source_id"), pl.lit(kind).alias("kind"), "key", "row_hash", "target_id",
        pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
    )  # fmt: skip
    spec = table_spec(SourceRecord, ("source_id", "kind", "key", "row_hash", "target_id", "run_id"))
    insert_frame(spec, new)
    changed = records.join(known.select("key"), on="key", how="semi").select(
        "row_hash",
        "target_id",
        pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
        pl.lit(source_id).alias("s"),
        pl.lit(kind).alias("kind"),
        "key",
    )
    update_rows(
        SourceRecord._meta.db_table,
        ("row_hash", "target_id", "run_id"),
        ("source_id", "kind", "key"),
        changed.rows(),
    )
