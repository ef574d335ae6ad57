"""Clean an export, vectorised: every repair and every refusal is a named rule with a counter.

The whole file is one polars frame of strings; each rule is a column expression, so a million rows
are cleaned in the time a Python loop would spend on a few thousand. The result has, per row, the
cleaned fields, a stable content hash, the reasons to quarantine it (empty when it may be applied),
warnings (a dropped invalid phone), and whether it duplicates an earlier row.

Rules (the counter names in the run report):
    exact_duplicate          the same raw row again: nothing to do (unchanged)
    equivalent_duplicate     the same row after cleaning (spaces, case): nothing to do (unchanged)
    conflicting_duplicate    the same key with different values: every such row quarantined with the diff
    swapped_fields           two values in each other's columns, told by content: swapped back
    shifted_field            a value in the neighbouring column, its own column empty: moved back
    misplaced_value          a value of the wrong type in a column that holds its own: quarantined
    homoglyphs               Latin look-alikes in a Cyrillic name: replaced by Cyrillic letters
    yo                       ё replaced by е (exports spell the same name both ways)
    whitespace / case        trimmed, runs of spaces collapsed; names in title case
    phone_normalised / email_normalised   rewritten to +7XXXXXXXXXX / lower case
    phone_invalid / email_invalid         dropped from the row (a warning; the row is applied)
    inn_invalid / ogrn_invalid / snils_invalid   wrong length or check digit: quarantined
    bad_date / bad_number    a value that is no date / no number: quarantined
    missing_required         a required field empty: quarantined
    extra_fields             more fields than the header (a shifted row): quarantined
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from abonent.integration.fields import (
    KIND_KEYS,
    KIND_SECONDARY_KEYS,
    FieldSpec,
    FieldType,
    FileKind,
    fields_for,
)
from abonent.integration.reading import EXTRA, ROW_INDEX, Table

REASONS = "__reasons__"
WARNINGS = "__warnings__"
HASH = "__hash__"
RAW = "__raw__"
DUPLICATE_OF = "__duplicate_of__"
CUSTOMER_KIND = "customer_kind"

_LATIN_LOOKALIKES = dict(zip("AaBCcEeHKkMOoPpTXxYy", "АаВСсЕеНКкМОоРрТХхУу", strict=True))
_CYRILLIC = r"[А-Яа-яЁё]"
_LATIN = r"[A-Za-z]"
_SPACES = r"[\s\u00a0\u202f]+"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"
_DATE_LIKE = r"^\d{1,2}[./]\d{1,2}[./]\d{2,4}$|^\d{4}-\d{2}-\d{2}"
_NUMBER_LIKE = r"^-?[\d\s\u00a0\u202f]*\d([.,]\d+)?$"
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y")
_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


@dataclass
class Cleaned:
    """The cleaned frame and what the rules did."""

    frame: pl.DataFrame
    counters: Counter[str] = field(default_factory=Counter)
    diffs: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # conflicting key → field → values


# --- mapping ------------------------------------------------------------------------------------------
def map_columns(table: Table, *, kind: str, mapping: Mapping[str, Any]) -> pl.DataFrame:
    """Return a frame with one string column per field of the kind, taken from the file's columns."""
    header = table.header
    lowered = {name.strip().lower(): name for name in header}
    exprs = [pl.col(ROW_INDEX), pl.col(EXTRA)]
    for spec in fields_for(kind):
        rule = mapping.get(spec.name)
        source = _source_column(spec, rule, header, lowered)
        if isinstance(rule, dict) and "constant" in rule:
            expr = pl.lit(str(rule["constant"]))
        elif source is None:
            expr = pl.lit("")
        else:
            expr = _transform(pl.col(source), rule)
        exprs.append(expr.cast(pl.String).fill_null("").alias(spec.name))
    raw = pl.concat_str([pl.col(name) for name in header], separator="\x1f")
    exprs.append(raw.alias(RAW))
    return table.frame.select(exprs)


def _source_column(spec: FieldSpec, rule: Any, header: list[str], lowered: dict[str, str]) -> str | None:
    column = rule.get("column") if isinstance(rule, dict) else rule
    if column is not None and str(column) in header:
        return str(column)
    if column is not None and str(column).strip().lower() in lowered:
        return lowered[str(column).strip().lower()]
    if isinstance(column, int) and 0 < column <= len(header):
        return header[column - 1]
    for alias in (spec.name, *spec.aliases):
        if alias in lowered:
            return lowered[alias]
    return None


def _transform(expr: pl.Expr, rule: Any) -> pl.Expr:
    """Apply a profile's transformations to a column: see ImportProfile.mapping for the list."""
    if not isinstance(rule, dict):
        return expr
    for step in rule.get("transform", []):
        name, _sep, argument = str(step).partition(":") if isinstance(step, str) else ("", "", "")
        if isinstance(step, dict):
            if "replace" in step:
                expr = expr.str.replace_all(step["replace"][0], step["replace"][1], literal=True)
            elif "map" in step:
                expr = expr.replace(step["map"])
            elif "regex" in step:
                expr = expr.str.extract(step["regex"], 1).fill_null("")
            elif "default" in step:
                expr = pl.when(expr.str.strip_chars() == "").then(pl.lit(step["default"])).otherwise(expr)
        elif name == "upper":
            expr = expr.str.to_uppercase()
        elif name == "lower":
            expr = expr.str.to_lowercase()
        elif name == "digits":
            expr = expr.str.replace_all(r"\D", "")
        elif name == "strip":
            expr = expr.str.strip_chars()
        elif name == "word":  # the n-th word (1-based) of a combined column
            expr = expr.str.strip_chars().str.split(" ").list.get(int(argument) - 1, null_on_oob=True)
        elif name == "prefix":
            expr = pl.when(expr == "").then(expr).otherwise(pl.lit(argument) + expr)
    return expr


# --- the rules ------------------------------------------------------------------------------------------
def clean(frame: pl.DataFrame, *, kind: str, today: date) -> Cleaned:
    """Run every rule over the mapped frame and return the cleaned frame with the counters."""
    specs = {spec.name: spec for spec in fields_for(kind)}
    counters: Counter[str] = Counter()
    frame = frame.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias(REASONS))
    frame = frame.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias(WARNINGS))
    frame = _split_full_name(frame, specs, counters)
    frame = _repair_positions(frame, kind, specs, counters)
    for spec in specs.values():
        frame = _clean_field(frame, spec, counters, today)
    frame = _check_required(frame, kind, specs, counters)
    frame = _flag_extra(frame, counters)
    if kind in (FileKind.CUSTOMERS, FileKind.ACCOUNTS):
        frame = _customer_kind(frame, counters)
    frame = frame.with_columns(_content_hash(frame, [s for s in specs if s != "full_name"]).alias(HASH))
    frame, diffs = _duplicates(frame, kind, counters)
    return Cleaned(frame=frame, counters=counters, diffs=diffs)


def _add_reason(frame: pl.DataFrame, condition: pl.Expr, code: str, column: str = REASONS) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(condition)
        .then(pl.col(column).list.concat(pl.lit([code], dtype=pl.List(pl.String))))
        .otherwise(pl.col(column))
        .alias(column)
    )


def _count(frame: pl.DataFrame, counters: Counter[str], name: str, condition: pl.Expr) -> int:
    found = int(frame.select(condition.sum()).item() or 0)
    if found:
        counters[name] += found
    return found


def _split_full_name(
    frame: pl.DataFrame, specs: dict[str, FieldSpec], counters: Counter[str]
) -> pl.DataFrame:
    """Fill last/first/middle name from a combined "Фамилия Имя Отчество" column where they are empty."""
    if "full_name" not in specs:
        return frame
    words = pl.col("full_name").str.strip_chars().str.replace_all(_SPACES, " ").str.split(" ")
    updates = []
    for index, part in enumerate(("last_name", "first_name", "middle_name")):
        value = words.list.get(index, null_on_oob=True).fill_null("")
        if index == 2:  # a double patronymic ("Оглы") stays whole
            value = words.list.slice(2).list.join(" ").fill_null("")
        updates.append(pl.when(pl.col(part) == "").then(value).otherwise(pl.col(part)).alias(part))
    return frame.with_columns(updates)


def _looks(kind: str, expr: pl.Expr) -> pl.Expr:
    text = expr.str.strip_chars()
    if kind == FieldType.EMAIL:
        return text.str.contains("@")
    if kind == FieldType.PHONE:
        digits = text.str.replace_all(r"\D", "")
        return (
            (~text.str.contains("@"))
            & text.str.contains(r"^[\d\s()+\-.]+$")
            & digits.str.len_chars().is_between(10, 11)
        )
    if kind == FieldType.DATE:
        return text.str.contains(_DATE_LIKE)
    if kind == FieldType.DECIMAL:
        return text.str.contains(_NUMBER_LIKE) & ~text.str.contains(_DATE_LIKE)
    if kind == FieldType.NAME:
        return text.str.contains(r"^[A-Za-zА-Яа-яЁё\- ]+$")
    return pl.lit(True)


# Column pairs whose values are told apart by content; both directions are checked.
_PAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    FileKind.ACCOUNTS: (("phone", "email"), ("birth_date", "middle_name")),
    FileKind.CUSTOMERS: (("phone", "email"), ("birth_date", "middle_name")),
    FileKind.CHARGES: (("amount", "period"),),
    FileKind.PAYMENTS: (("amount", "paid_on"),),
    FileKind.BALANCES: (("amount", "as_of"),),
    FileKind.READINGS: (("t1", "date"),),
}


def _repair_positions(
    frame: pl.DataFrame, kind: str, specs: dict[str, FieldSpec], counters: Counter[str]
) -> pl.DataFrame:
    """Swap values that sit in each other's columns; move a value into its own empty column."""
    for first, second in _PAIRS.get(kind, ()):
        a, b = pl.col(first), pl.col(second)
        a_type, b_type = specs[first].type, specs[second].type
        a_foreign = (a != "") & _looks(b_type, a) & ~_looks(a_type, a)
        b_foreign = (b != "") & _looks(a_type, b) & ~_looks(b_type, b)
        swap = a_foreign & b_foreign
        shift_a = a_foreign & ~b_foreign & (b == "")
        shift_b = b_foreign & ~a_foreign & (a == "")
        stuck = (a_foreign | b_foreign) & ~swap & ~shift_a & ~shift_b
        _count(frame, counters, "swapped_fields", swap)
        _count(frame, counters, "shifted_field", shift_a | shift_b)
        _count(frame, counters, "misplaced_value", stuck)
        frame = _add_reason(frame, stuck, f"misplaced_value:{first}/{second}")
        frame = frame.with_columns(
            pl.when(swap | shift_b).then(b).when(shift_a).then(pl.lit("")).otherwise(a).alias(first),
            pl.when(swap | shift_a).then(a).when(shift_b).then(pl.lit("")).otherwise(b).alias(second),
        )
    return frame


def _clean_field(frame: pl.DataFrame, spec: FieldSpec, counters: Counter[str], today: date) -> pl.DataFrame:
    name, col = spec.name, pl.col(spec.name)
    trimmed = col.str.replace_all(_SPACES, " ").str.strip_chars()
    if spec.type in (FieldType.TEXT, FieldType.CODE, FieldType.COMPANY, FieldType.FULL_NAME, FieldType.NAME):
        _count(frame, counters, "whitespace", col != trimmed)
        frame = frame.with_columns(trimmed.alias(name))
    cleaner = _CLEANERS.get(spec.type)
    return cleaner(frame, name, counters, today) if cleaner else frame


def _clean_name(frame: pl.DataFrame, name: str, counters: Counter[str], today: date) -> pl.DataFrame:
    col = pl.col(name)
    mixed = col.str.contains(_CYRILLIC) & col.str.contains(_LATIN)
    fixed = col.str.replace_many(list(_LATIN_LOOKALIKES), list(_LATIN_LOOKALIKES.values()))
    _count(frame, counters, "homoglyphs", mixed)
    frame = frame.with_columns(pl.when(mixed).then(fixed).otherwise(col).alias(name))
    yo = col.str.contains("[ёЁ]")
    _count(frame, counters, "yo", yo)
    frame = frame.with_columns(col.str.replace_all("ё", "е").str.replace_all("Ё", "Е").alias(name))
    titled = col.str.to_titlecase()
    _count(frame, counters, "case", col != titled)
    return frame.with_columns(titled.alias(name))


def _clean_company(frame: pl.DataFrame, name: str, counters: Counter[str], today: date) -> pl.DataFrame:
    col = pl.col(name)
    mixed = col.str.contains(_CYRILLIC) & col.str.contains(_LATIN) & ~col.str.contains(r"[A-Za-z]{3,}")
    _count(frame, counters, "homoglyphs", mixed)
    fixed = col.str.replace_many(list(_LATIN_LOOKALIKES), list(_LATIN_LOOKALIKES.values()))
    return frame.with_columns(
        pl.when(mixed).then(fixed).otherwise(col).str.replace_all('[«»"]', '"').alias(name)
    )


def _clean_phone(frame: pl.DataFrame, name: str, counters: Counter[str], today: date) -> pl.DataFrame:
    col = pl.col(name)
    digits = col.str.replace_all(r"\D", "")
    normal = (
        pl.when((digits.str.len_chars() == 10) & digits.str.starts_with("9"))
        .then("+7" + digits)
        .when((digits.str.len_chars() == 11) & (digits.str.starts_with("8") | digits.str.starts_with("7")))
        .then("+7" + digits.str.slice(1))
        .otherwise(pl.lit(""))
    )
    given = col.str.strip_chars() != ""
    invalid = given & (normal == "")
    _count(frame, counters, "phone_normalised", given & (normal != "") & (normal != col))
    _count(frame, counters, "phone_invalid", invalid)
    frame = _add_reason(frame, invalid, f"phone_invalid:{name}", WARNINGS)
    return frame.with_columns(normal.alias(name))


def _clean_email(frame: pl.DataFrame, name: str, counters: Counter[str], today: date) -> pl.DataFrame:
    col = pl.col(name)
    normal = col.str.strip_chars().str.to_lowercase().str.replace_all(r"\s", "")
    valid = normal.str.contains(_EMAIL)
    given = normal != ""
    _count(frame, counters, "email_normalised", given & valid & (normal != col))
    _count(frame, counters, "email_invalid", given & ~valid)
    frame = _add_reason(frame, given & ~valid, f"email_invalid:{name}", WARNINGS)
    return frame.with_columns(pl.when(valid).then(normal).otherwise(pl.lit("")).alias(name))


def parse_date_expr(col: pl.Expr) -> pl.Expr:
    """Return the date a Russian export writes as 05.11.2026, 2026-11-05, 05/11/2026, 05.11.26 or 11.2026."""
    text = col.str.strip_chars().str.split(" ").list.first().str.split("T").list.first()
    text = pl.when(text.str.contains(r"^\d{1,2}\.\d{4}$")).then("01." + text).otherwise(text)
    text = pl.when(text.str.contains(r"^\d{4}-\d{2}$")).then(text + "-01").otherwise(text)
    return pl.coalesce([text.str.to_date(fmt, strict=False) for fmt in _DATE_FORMATS])


def _clean_date(frame: pl.DataFrame, name: str, counters: Counter[str], today: date) -> pl.DataFrame:
    col = pl.col(name)
    parsed = parse_date_expr(col)
    given = col.str.strip_chars() != ""
    lowest = date(1900, 1, 1)
    bad = given & (parsed.is_null() | (parsed < lowest) | (parsed > pl.lit(date(today.year + 1, 12, 31))))
    if name == "birth_date":
        bad = bad | (given & (parsed > pl.lit(today)))
    _count(frame, counters, "bad_date", bad)
    frame = _add_reason(frame, bad, f"bad_date:{name}")
    return frame.with_columns(
        pl.when(bad | ~given).then(pl.lit("")).otherwise(parsed.dt.strftime("%Y-%m-%d")).alias(name)
    )


def parse_decimal_expr(col: pl.Expr) -> pl.Expr:
    """Return the canonical spelling ("-1234.56") of "1 234,56", "1.234,56", "1234.56" or "1,5"."""
    text = col.str.replace_all(r"[\s\u00a0\u202f'₽р.уб]+$", "").str.replace_all(r"[\s\u00a0\u202f']", "")
    both = text.str.contains(r"\.") & text.str.contains(",")
    text = pl.when(both).then(text.str.replace_all(r"\.", "")).otherwise(text).str.replace(",", ".")
    return pl.when(text.str.contains(r"^-?\d+(\.\d+)?$")).then(text).otherwise(pl.lit(None))


def _clean_decimal(frame: pl.DataFrame, name: str, counters: Counter[str], today: date) -> pl.DataFrame:
    col = pl.col(name)
    parsed = parse_decimal_expr(col)
    given = col.str.strip_chars() != ""
    bad = given & parsed.is_null()
    _count(frame, counters, "bad_number", bad)
    frame = _add_reason(frame, bad, f"bad_number:{name}")
    return frame.with_columns(pl.when(given & ~bad).then(parsed).otherwise(pl.lit("")).alias(name))


def _digit(col: pl.Expr, index: int) -> pl.Expr:
    return col.str.slice(index, 1).cast(pl.Int64, strict=False)


def _weighted(col: pl.Expr, weights: tuple[int, ...]) -> pl.Expr:
    return pl.sum_horizontal([_digit(col, i) * w for i, w in enumerate(weights)]) % 11 % 10


def inn_valid_expr(col: pl.Expr) -> pl.Expr:
    """Return whether each INN has 10 or 12 digits with the right check digits (FTS algorithm)."""
    digits_only = col.str.contains(r"^\d+$")
    ten = (col.str.len_chars() == 10) & (_weighted(col, _INN10) == _digit(col, 9))
    twelve = (
        (col.str.len_chars() == 12)
        & (_weighted(col, _INN12_1) == _digit(col, 10))
        & (_weighted(col, _INN12_2) == _digit(col, 11))
    )
    return digits_only & (ten | twelve).fill_null(False)


def ogrn_valid_expr(col: pl.Expr) -> pl.Expr:
    body = col.str.slice(0, col.str.len_chars() - 1).cast(pl.Int64, strict=False)
    last = _digit(col, 12).fill_null(-1)
    last15 = _digit(col, 14).fill_null(-1)
    thirteen = (col.str.len_chars() == 13) & (body % 11 % 10 == last)
    fifteen = (col.str.len_chars() == 15) & (body % 13 % 10 == last15)
    return col.str.contains(r"^\d+$") & (thirteen | fifteen).fill_null(False)


def snils_valid_expr(col: pl.Expr) -> pl.Expr:
    digits = col.str.replace_all(r"\D", "")
    total = pl.sum_horizontal([_digit(digits, i) * (9 - i) for i in range(9)])
    total = pl.when(total > 101).then(total % 101).otherwise(total)
    check = pl.when(total.is_in([100, 101])).then(0).otherwise(total)
    given = digits.str.slice(9, 2).cast(pl.Int64, strict=False)
    return ((digits.str.len_chars() == 11) & (check == given)).fill_null(False)


def _checked(validator: Any, rule: str, keep_digits: bool = True) -> Any:
    def clean_number(frame: pl.DataFrame, name: str, counters: Counter[str], today: date) -> pl.DataFrame:
        digits = pl.col(name).str.replace_all(r"\D", "") if keep_digits else pl.col(name)
        frame = frame.with_columns(digits.alias(name))
        col = pl.col(name)
        bad = (col != "") & ~validator(col)
        _count(frame, counters, rule, bad)
        return _add_reason(frame, bad, f"{rule}:{name}")

    return clean_number


def _clean_account(frame: pl.DataFrame, name: str, counters: Counter[str], today: date) -> pl.DataFrame:
    col = pl.col(name)
    digits = col.str.replace_all(r"\D", "")
    bad = (col != "") & ~digits.str.len_chars().is_between(6, 20)
    _count(frame, counters, "bad_account_number", bad)
    frame = _add_reason(frame, bad, f"bad_account_number:{name}")
    return frame.with_columns(digits.alias(name))


_CLEANERS = {
    FieldType.NAME: _clean_name,
    FieldType.COMPANY: _clean_company,
    FieldType.PHONE: _clean_phone,
    FieldType.EMAIL: _clean_email,
    FieldType.DATE: _clean_date,
    FieldType.DECIMAL: _clean_decimal,
    FieldType.INN: _checked(inn_valid_expr, "inn_invalid"),
    FieldType.OGRN: _checked(ogrn_valid_expr, "ogrn_invalid"),
    FieldType.SNILS: _checked(snils_valid_expr, "snils_invalid"),
    FieldType.ACCOUNT: _clean_account,
}


def _check_required(
    frame: pl.DataFrame, kind: str, specs: dict[str, FieldSpec], counters: Counter[str]
) -> pl.DataFrame:
    for spec in specs.values():
        if spec.required:
            missing = pl.col(spec.name) == ""
            _count(frame, counters, "missing_required", missing)
            frame = _add_reason(frame, missing, f"missing_required:{spec.name}")
    if kind in (FileKind.CUSTOMERS, FileKind.ACCOUNTS):
        person = pl.col("company_name") == ""
        nameless = person & ((pl.col("last_name") == "") | (pl.col("first_name") == ""))
        _count(frame, counters, "missing_required", nameless)
        frame = _add_reason(frame, nameless, "missing_required:name")
        no_id = pl.col("external_id") == ""
        _count(frame, counters, "missing_required", no_id)
        frame = _add_reason(frame, no_id, "missing_required:external_id")
    if kind == FileKind.ACCOUNTS:
        no_address = (pl.col("street") == "") | (pl.col("house") == "")
        _count(frame, counters, "missing_required", no_address)
        frame = _add_reason(frame, no_address, "missing_required:address")
    return frame


def _flag_extra(frame: pl.DataFrame, counters: Counter[str]) -> pl.DataFrame:
    extra = pl.col(EXTRA).str.strip_chars() != ""
    _count(frame, counters, "extra_fields", extra)
    return _add_reason(frame, extra, "extra_fields")


def _customer_kind(frame: pl.DataFrame, counters: Counter[str]) -> pl.DataFrame:
    company = pl.col("company_name") != ""
    proprietor = (pl.col("inn").str.len_chars() == 12) & (pl.col("ogrn").str.len_chars() == 15)
    kind = (
        pl.when(company & (pl.col("inn").str.len_chars() != 12))
        .then(pl.lit("legal_entity"))
        .when(proprietor)
        .then(pl.lit("sole_proprietor"))
        .otherwise(pl.lit("individual"))
    )
    frame = frame.with_columns(kind.alias(CUSTOMER_KIND))
    wrong_inn = (
        (pl.col(CUSTOMER_KIND) == "legal_entity")
        & (pl.col("inn") != "")
        & (pl.col("inn").str.len_chars() != 10)
    )
    _count(frame, counters, "inn_invalid", wrong_inn)
    return _add_reason(frame, wrong_inn, "inn_invalid:inn")


def stable_hash(text: str) -> int:
    """Return a signed 64-bit hash of the text that stays the same across processes and versions."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def _content_hash(frame: pl.DataFrame, names: list[str]) -> pl.Series:
    joined = frame.select(pl.concat_str([pl.col(n) for n in names], separator="\x1f")).to_series()
    return pl.Series(HASH, [stable_hash(text) for text in joined.to_list()], dtype=pl.Int64)


def _duplicates(frame: pl.DataFrame, kind: str, counters: Counter[str]) -> tuple[pl.DataFrame, dict]:
    """Mark repeated rows as duplicates of the first, and quarantine every row of a conflicting key."""
    keys = list(KIND_KEYS[kind])
    usable = pl.col(REASONS).list.len() == 0
    first_raw = pl.col(ROW_INDEX).min().over(RAW)
    first_clean = pl.col(ROW_INDEX).min().over(HASH)
    frame = frame.with_columns(
        pl.when(first_raw != pl.col(ROW_INDEX))
        .then(first_raw)
        .when(usable & (first_clean != pl.col(ROW_INDEX)))
        .then(first_clean)
        .otherwise(pl.lit(None))
        .alias(DUPLICATE_OF)
    )
    _count(frame, counters, "exact_duplicate", first_raw != pl.col(ROW_INDEX))
    _count(
        frame,
        counters,
        "equivalent_duplicate",
        (first_raw == pl.col(ROW_INDEX)) & pl.col(DUPLICATE_OF).is_not_null(),
    )
    diffs: dict[str, dict[str, list[str]]] = {}
    groups = [(keys, [c for c in frame.columns if c in {s.name for s in fields_for(kind)}])]
    if kind in KIND_SECONDARY_KEYS:
        secondary, compared = KIND_SECONDARY_KEYS[kind]
        groups.append(([secondary], list(compared)))
    for key_fields, compared in groups:
        frame, found = _conflicts(frame, key_fields, compared, counters)
        diffs.update(found)
    return frame, diffs


def _conflicts(
    frame: pl.DataFrame, key_fields: list[str], compared: list[str], counters: Counter[str]
) -> tuple[pl.DataFrame, dict[str, dict[str, list[str]]]]:
    key = pl.concat_str([pl.col(k) for k in key_fields], separator="/")
    has_key = pl.all_horizontal([pl.col(k) != "" for k in key_fields])
    candidates = frame.filter(has_key & pl.col(DUPLICATE_OF).is_null()).with_columns(key.alias("__key__"))
    versions = pl.concat_str([pl.col(c) for c in compared], separator="\x1f")
    clashing = (
        candidates.with_columns(versions.alias("__version__"))
        .group_by("__key__")
        .agg(pl.col("__version__").n_unique().alias("n"), *(pl.col(c).unique() for c in compared))
        .filter(pl.col("n") > 1)
    )
    if clashing.is_empty():
        return frame, {}
    diffs = {}
    for row in clashing.iter_rows(named=True):
        diffs[row["__key__"]] = {c: sorted(row[c]) for c in compared if len(row[c]) > 1}
    conflicted = has_key & key.is_in(clashing["__key__"].implode())
    _count(frame, counters, "conflicting_duplicate", conflicted)
    frame = _add_reason(frame, conflicted, f"conflicting_duplicate:{'/'.join(key_fields)}")
    return frame, diffs
