"""Reading exports: encodings, delimiters, headers, Russian numbers and dates, XLSX."""

from __future__ import annotations

from datetime import date

import pytest
import xlsxwriter

from abonent.integration.cleaning import clean, map_columns
from abonent.integration.fields import FileKind, known_column_names
from abonent.integration.reading import detect_encoding, read_csv_bytes, read_file, sniff_delimiter

TEXT = (
    "ЛС;ФИО;Дата;Сумма\n"
    "6600000001;ИВАНОВ ИВАН ИВАНОВИЧ;05.11.2026;1 234,56\n"
    "6600000002;Петрова Анна;2026-11-05;12,5\n"
)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("cp1251", "cp1251"), ("koi8_r", "koi8_r")],
)
def test_encodings_are_recognised_even_in_capitals(encoding, expected):
    assert detect_encoding(TEXT.encode(encoding)) == expected
    assert detect_encoding(TEXT.upper().encode(encoding)) == expected


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_the_delimiter_is_sniffed(delimiter):
    assert sniff_delimiter(TEXT.replace(";", delimiter)) == delimiter


def test_a_file_without_a_header_reads_from_its_first_row():
    table = read_csv_bytes(TEXT.split("\n", 1)[1].encode("cp1251"), known_columns={"лс"})
    assert not table.has_header and table.frame.height == 2


def test_russian_numbers_and_dates_are_read():
    raw = (
        "payment_id;ЛС;дата;сумма\n"
        "P1;6600000001;05.11.2026;1 234,56\n"
        "P2;6600000001;2026-11-06;-7,5\n"
        "P3;6600000001;31.02.2026;1.234,5\n"
    )
    table = read_csv_bytes(raw.encode("utf-8"), known_columns=known_column_names(FileKind.PAYMENTS))
    cleaned = clean(
        map_columns(table, kind=FileKind.PAYMENTS, mapping={}),
        kind=FileKind.PAYMENTS,
        today=date(2026, 11, 23),
    )
    rows = cleaned.frame.select("amount", "paid_on", "__reasons__").rows()
    assert rows[0] == ("1234.56", "2026-11-05", [])
    assert rows[1] == ("-7.5", "2026-11-06", [])
    assert rows[2] == ("1234.5", "31.02.2026", ["bad_date:paid_on"])  # no such day: kept as written


def test_a_workbook_is_read_like_a_csv(tmp_path):
    path = tmp_path / "export.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for row, values in enumerate([["ЛС", "ФИО", "Дата рождения"], [6600000001, "Иванов Иван", "05.11.1980"]]):
        sheet.write_row(row, 0, values)
    book.close()

    table = read_file(path, known_columns=known_column_names(FileKind.ACCOUNTS))

    assert table.encoding == "xlsx" and table.header == ["ЛС", "ФИО", "Дата рождения"]
    assert table.frame.select("ЛС", "ФИО").row(0) == ("6600000001", "Иванов Иван")


def test_a_profile_maps_and_transforms_columns():
    raw = "A;B;C\n66-000-001;ivanov@MAIL.ru;Иванов Пётр\n".encode()
    table = read_csv_bytes(raw, known_columns=set())
    mapping = {
        "account_number": {"column": 1, "transform": ["digits"]},
        "email": "B",
        "last_name": {"column": "C", "transform": ["word:1"]},
        "first_name": {"column": "C", "transform": ["word:2"]},
        "external_id": {"constant": "X1"},
    }
    frame = clean(
        map_columns(table, kind=FileKind.CUSTOMERS, mapping=mapping),
        kind=FileKind.CUSTOMERS,
        today=date(2026, 11, 23),
    ).frame
    assert frame.select("external_id", "last_name", "first_name", "email").row(0) == (
        "X1",
        "Иванов",
        "Петр",
        "ivanov@mail.ru",
    )


def test_cleaning_in_parallel_slices_equals_cleaning_whole(tmp_path, monkeypatch):
    from abonent.integration import cleaning
    from abonent.integration.dirty import write_dirty_export

    path = tmp_path / "dirty.csv"
    write_dirty_export(rows=600, out=path, seed=3, encoding="cp1251")
    table = read_file(path, known_columns=known_column_names(FileKind.ACCOUNTS))
    mapped = map_columns(table, kind=FileKind.ACCOUNTS, mapping={})
    whole = clean(mapped, kind=FileKind.ACCOUNTS, today=date(2026, 11, 5))
    monkeypatch.setattr(cleaning, "SLICE_ROWS", 100)
    monkeypatch.setattr(cleaning.pl, "thread_pool_size", lambda: 4)
    sliced = clean(mapped, kind=FileKind.ACCOUNTS, today=date(2026, 11, 5))
    assert sliced.frame.equals(whole.frame)
    assert (sliced.counters, sliced.diffs) == (whole.counters, whole.diffs)
    assert whole.counters["conflicting_duplicate"] and whole.counters["swapped_fields"]
