"""The duplicate search over a whole first load, in memory: the customers' keys read once, pairs by sorting.

It finds the pairs `customers._blocked_pairs` finds for every customer: two customers sharing a
match_name, a match_block or a phone, each customer paired with the MAX_BLOCK nearest older customers
under each key. SQL did that with a self-join per key and a window over all the pairs, which at a
million customers cost more CPU than any table the load wrote (9.3 s of 73 on SQLite, measured);
here the keys are sorted once and each customer's older neighbours under a key are the rows just
before it, so the work follows the pairs found. The names are scored by rapidfuzz, once per pair.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from django.db import connection
from rapidfuzz import fuzz

from abonent.customers.dedup import LIKELY_SCORE, MAX_BLOCK
from abonent.customers.models import Contact, Customer, DuplicateCandidate

_CUSTOMERS = {
    "id": pl.Int64,
    "last_name": pl.String,
    "first_name": pl.String,
    "middle_name": pl.String,
    "company_name": pl.String,
    "match_name": pl.String,
    "match_block": pl.String,
}
CUSTOMER_KEYS = tuple(_CUSTOMERS)
PHONES = {"id": pl.Int64, "key": pl.String}


def queue_all_duplicates(
    *, source: str, customers: pl.DataFrame | None = None, phones: pl.DataFrame | None = None
) -> int:
    """Queue the likely duplicates among all customers (a first load's end); return how many were queued.

    `customers` (the columns of _CUSTOMERS, as stored) and `phones` (id, key) are every customer and
    phone of the database when the caller kept them while it wrote; else they are read from the tables.
    """
    if customers is None or phones is None:
        customers, phones = read_keys()
    candidates = scored_candidates(blocked_pairs(customers, phones), customers)
    DuplicateCandidate.objects.bulk_create(
        [
            DuplicateCandidate(
                customer_id=new, duplicate_of_id=old, score=score, reasons=reasons, source=source
            )
            for new, old, score, reasons in candidates.iter_rows()
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    return candidates.height


def read_keys() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return every customer's names and blocking keys, and every phone (id, key), from the tables."""
    quote = connection.ops.quote_name
    customers = _read(
        f"SELECT {', '.join(_CUSTOMERS)} FROM {quote(Customer._meta.db_table)}",  # noqa: S608
        [],
        _CUSTOMERS,
    )
    phones = _read(
        f"SELECT customer_id, value FROM {quote(Contact._meta.db_table)} WHERE kind = %s",  # noqa: S608
        [Contact.Kind.PHONE.value],
        PHONES,
    )
    return customers, phones


def blocked_pairs(customers: pl.DataFrame, phones: pl.DataFrame) -> pl.DataFrame:
    """Return (new, old, reasons): customer pairs sharing a blocking key or a phone, the older one second.

    Sorted by key and id, the customers holding one key stand together, so a customer's MAX_BLOCK
    nearest older ones under that key are the rows just before it.
    """
    keys = (
        pl.concat(
            [
                customers.select("id", pl.lit("name").alias("reason"), pl.col("match_name").alias("key")),
                customers.select("id", pl.lit("block").alias("reason"), pl.col("match_block").alias("key")),
                phones.select("id", pl.lit("phone").alias("reason"), "key").unique(),
            ]
        )
        .filter((pl.col("key") != "") & (pl.len().over("reason", "key") > 1))  # most keys are one customer's
        .sort("reason", "key", "id")
        .with_row_index("at")
    )
    at = pl.col("at").cast(pl.Int64)
    # How many rows before it hold the same key (at most MAX_BLOCK): computed before any row is left out.
    keys = keys.with_columns(
        at, pl.min_horizontal(at - at.min().over("reason", "key"), pl.lit(MAX_BLOCK, pl.Int64)).alias("older")
    )
    pairs = (
        keys.filter(pl.col("older") > 0)
        .select(
            "at", pl.col("id").alias("new"), "reason", pl.int_ranges(1, pl.col("older") + 1).alias("back")
        )
        .explode("back")
    )
    pairs = pairs.with_columns(keys["id"].gather(pairs["at"] - pairs["back"]).alias("old"))
    return pairs.group_by("new", "old").agg(pl.col("reason").unique().sort().alias("reasons"))


def scored_candidates(pairs: pl.DataFrame, customers: pl.DataFrame) -> pl.DataFrame:
    """Return (new, old, score, reasons) of the pairs scoring at least LIKELY_SCORE.

    The score is `_queue_pairs`'s: token-sorted name similarity × 0.7, plus 20 for a shared blocking
    key and 15 for a shared phone.
    """
    company = pl.col("company_name")
    person = pl.concat_str([pl.col(p) for p in ("last_name", "first_name", "middle_name")], separator=" ")
    names = customers.select("id", pl.when(company != "").then(company).otherwise(person).str.to_lowercase())
    names = names.rename({names.columns[1]: "name"})
    pairs = pairs.join(names.rename({"id": "new", "name": "new_name"}), on="new", how="left").join(
        names.rename({"id": "old", "name": "old_name"}), on="old", how="left"
    )
    similarity = _similarity(
        pairs["new_name"].fill_null("").to_list(), pairs["old_name"].fill_null("").to_list()
    )
    reasons = pl.col("reasons")
    # Added in _queue_pairs' order (the keys' points are exact integers), so the floats come out the same.
    points = 20 * (reasons.list.contains("name") | reasons.list.contains("block")).cast(pl.Int64) + 15 * (
        reasons.list.contains("phone").cast(pl.Int64)
    )
    score = pl.Series(similarity, dtype=pl.Float64).alias("ratio")
    return (
        pairs.with_columns(score)
        .with_columns((pl.col("ratio") * 0.7 + points).alias("score"))
        .filter(pl.col("score") >= LIKELY_SCORE)
        .select("new", "old", pl.min_horizontal(pl.col("score").round(0), 100).cast(pl.Int64), "reasons")
        .sort("new", "old")
    )


def _similarity(first: list[str], second: list[str]) -> list[float]:
    """Return fuzz.token_sort_ratio of each pair of names (rapidfuzz's bulk cpdist would need numpy)."""
    ratio = fuzz.token_sort_ratio
    return [ratio(a, b) for a, b in zip(first, second, strict=True)]


def _read(sql: str, params: list[Any], schema: dict[str, Any]) -> pl.DataFrame:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return pl.DataFrame(cursor.fetchall(), schema=schema, orient="row")
