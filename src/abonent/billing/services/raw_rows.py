"""Rows of a queryset without the ORM's per-value converters: what the charge run reads in bulk.

Django converts every value of every row through a chain of converters; for the hundreds of
thousands of rows a chunk of the charge run reads, that chain costs more than the query. Here the
queryset still writes the SQL (joins, filters, table names), the rows come straight from the
cursor, and only the columns that need it are converted — by the same arithmetic as Django's SQLite
backend, remembered per distinct value (dates and amounts repeat across thousands of rows).
PostgreSQL's driver already returns `date` and `Decimal`, so its rows are used as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Context, Decimal
from functools import lru_cache

from django.db import connection
from django.db.models import CharField, Model, QuerySet
from django.db.models.functions import Cast

Converter = Callable[[object], object] | None
_FROM_FLOAT = Context(prec=15).create_decimal_from_float  # what Django's SQLite backend uses


def fetch(queryset: QuerySet, converters: Sequence[Converter]) -> list[tuple]:
    """Return the rows of a values_list queryset, each column passed through its converter (None: as is)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor != "sqlite" or not any(converters):
        return rows
    pairs = [(index, convert) for index, convert in enumerate(converters) if convert is not None]
    converted = []
    for row in rows:
        values = list(row)
        for index, convert in pairs:
            value = values[index]
            if value is not None:
                values[index] = convert(value)
        converted.append(tuple(values))
    return converted


def day(name: str) -> str | Cast:
    """Select a date column for `fetch`: as text on SQLite, where the driver would parse every value.

    Django registers a driver-level parser for columns declared `date`, which runs once per value
    with a regular expression; a cast to text hides the declaration and `DATE` parses each distinct
    day once instead.
    """
    return Cast(name, output_field=CharField()) if connection.vendor == "sqlite" else name


def date_value(value: object) -> date:
    """Return a date column's value as a date (SQLite stores ISO text)."""
    return _date(value) if isinstance(value, str) else value  # type: ignore[return-value]  # a date already


@lru_cache(maxsize=65536)
def _date(text: str) -> date:
    return date.fromisoformat(text)


def decimal_value(max_digits: int, decimal_places: int) -> Callable[[object], Decimal]:
    """Return the converter of a DecimalField's value: Django's own rounding, remembered per value."""
    step = Decimal(1).scaleb(-decimal_places)
    context = Context(prec=max_digits)
    known: dict[object, Decimal] = {}

    def convert(value: object) -> Decimal:
        found = known.get(value)
        if found is None:
            if isinstance(value, Decimal):
                found = value.quantize(step, context=context)
            elif isinstance(value, str):
                found = Decimal(value).quantize(step, context=context)
            else:
                found = _FROM_FLOAT(value).quantize(step, context=context)  # type: ignore[arg-type]  # int or float
            if len(known) < 200_000:
                known[value] = found
        return found

    return convert


def decimal_field(model: type[Model], name: str) -> Callable[[object], Decimal]:
    """Return the converter of the model's DecimalField `name`."""
    field = model._meta.get_field(name)
    return decimal_value(field.max_digits, field.decimal_places)  # type: ignore[union-attr]  # a DecimalField


DATE = date_value
