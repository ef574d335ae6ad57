"""Column expressions for a chunk of customer rows: content hashes and the duplicate-search blocking keys.

The blocking keys are `customers.dedup.match_keys` written as polars expressions, so a million rows
get theirs in one pass instead of a million Python calls; tests/integration/test_keys.py holds the two
to the same answers. The content hashes stay the stable blake2b of `cleaning.stable_hash` (what the
source's records already hold), computed over the chunk's joined strings in one list pass.
"""

from __future__ import annotations

import polars as pl

from abonent.customers.models import Customer
from abonent.integration.cleaning import CUSTOMER_KIND, stable_hash
from abonent.integration.fields import CUSTOMER_FIELDS

CUSTOMER_HASH = "__customer_hash__"
ACCOUNT_HASH = "__account_hash__"
ACCOUNT_FIELDS = (
    "account_number",
    "postal_code",
    "settlement",
    "street",
    "house",
    "flat",
    "area",
    "opened_on",
)

# customers.dedup.normalize_name lower-cases first, so only the lower-case look-alikes ever apply.
_LOOKALIKES = dict(zip("aceopxyk", "асеорхук", strict=True))
_LEGAL_FORMS = r"\b(ооо|оао|зао|пао|ао|ип|нко|тсж|жск|мкд|ук)\b|[«»\"'.,]"


def with_customer_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the customer's (and account's) content hash and the blocking keys match_name, match_block."""
    columns = [_hash(frame, CUSTOMER_FIELDS, CUSTOMER_HASH)]
    if "account_number" in frame.columns:
        columns.append(_hash(frame, ("external_id", *ACCOUNT_FIELDS), ACCOUNT_HASH))
    return with_match_keys(frame.with_columns(columns))


def _hash(frame: pl.DataFrame, names: tuple[str, ...], alias: str) -> pl.Series:
    joined = frame.select(pl.concat_str([pl.col(n) for n in names], separator="\x1f")).to_series()
    return pl.Series(alias, [stable_hash(text) for text in joined.to_list()], dtype=pl.Int64)


def normalized_name(column: str) -> pl.Expr:
    """customers.dedup.normalize_name as an expression."""
    text = pl.col(column).str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()
    fixed = text.str.replace_many(list(_LOOKALIKES), list(_LOOKALIKES.values()))
    return pl.when(text.str.contains("[а-яё]")).then(fixed).otherwise(text).str.replace_all("ё", "е")


def with_match_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """Add match_name and match_block (customers.dedup.match_keys) to a frame of customer fields.

    The normalised names go into temporary columns first: each is read up to three times by the keys,
    and an eager frame would evaluate the expression again every time (measured: 0.48 → 0.17 CPU s
    per 100,000 rows).
    """
    names = ("last_name", "first_name", "middle_name", "company_name")
    temporary = [f"__normalized_{name}__" for name in names]
    frame = frame.with_columns(normalized_name(n).alias(t) for n, t in zip(names, temporary, strict=True))
    return frame.with_columns(_match_keys(*(pl.col(t) for t in temporary))).drop(temporary)


def _match_keys(last: pl.Expr, first: pl.Expr, middle: pl.Expr, company_name: pl.Expr) -> list[pl.Expr]:
    """Return the expressions of match_name and match_block over the normalised names."""
    born = pl.col("birth_date")
    name = pl.concat_str([last, first, middle], separator=" ").str.strip_chars()
    person = (last != "") & (first != "")
    company = company_name.str.replace_all(_LEGAL_FORMS, " ").str.replace_all(r"\s+", " ").str.strip_chars()
    legal = pl.col(CUSTOMER_KIND) == Customer.Kind.LEGAL_ENTITY.value
    match_name = (
        pl.when(legal & (company != "")).then(pl.lit("co:") + company)
        .when(~legal & person).then(name + "|" + born)
        .otherwise(pl.lit(""))
        .str.slice(0, 200)
    )  # fmt: skip
    initials = last.str.slice(0, 1) + first.str.slice(0, 1)
    match_block = (
        pl.when(legal & (company != "")).then(pl.lit("co:") + company.str.slice(0, 12))
        .when(~legal & person & (born != "")).then(born + "|" + initials)
        .otherwise(pl.lit(""))
    )  # fmt: skip
    return [match_name.alias("match_name"), match_block.alias("match_block")]
