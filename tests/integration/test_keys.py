"""Vectorised forms agree with their Python references: blocking keys (match_keys), INN check digits."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from abonent.core.validators import is_valid_inn
from abonent.customers.dedup import match_keys
from abonent.integration.appliers.keys import with_match_keys
from abonent.integration.cleaning import _inn_valid

_KINDS = ("individual", "sole_proprietor", "legal_entity")
_PEOPLE = [
    ("individual", "Иванов", "Петр", "Сергеевич", "1970-01-02", ""),
    ("individual", "ИВAНOВ", "Пётр", "", "1970-01-02", ""),  # Latin A and O among Cyrillic
    ("individual", "  Семёнова ", "Алёна  Мария", "Ивановна", "", ""),
    ("individual", "Smith", "John", "", "1980-05-06", ""),  # all Latin: no look-alike repair
    ("individual", "", "Петр", "", "1970-01-02", ""),
    ("sole_proprietor", "Орлов", "Олег", "Олегович", "1965-12-31", "ИП Орлов"),
    ("legal_entity", "", "", "", "", "ООО «Ромашка»"),
    ("legal_entity", "", "", "", "", 'ТСЖ "Лесная, 5"'),
    ("legal_entity", "", "", "", "", "АО"),
    ("legal_entity", "", "", "", "", "Управляющая компания Север-Запад"),
]
_COLUMNS = ("customer_kind", "last_name", "first_name", "middle_name", "birth_date", "company_name")


def _vectorised(rows: list[tuple[str, ...]]) -> list[tuple[str, str]]:
    frame = pl.DataFrame(rows, schema=list(_COLUMNS), orient="row")
    return with_match_keys(frame).select("match_name", "match_block").rows()


def _reference(rows: list[tuple[str, ...]]) -> list[tuple[str, str]]:
    return [
        match_keys(
            kind=kind,
            last_name=last,
            first_name=first,
            middle_name=middle,
            birth_date=born or None,
            company_name=company,
        )
        for kind, last, first, middle, born, company in rows
    ]


def test_blocking_keys_of_typical_and_dirty_names_match_the_reference():
    assert _vectorised(_PEOPLE) == _reference(_PEOPLE)


_names = st.text(alphabet='АаВЕеКкМНОоРрСсТХхУуЁёИиЛлAaBCcEeHKkMOoPpTXxYy -«»".,', max_size=24)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_KINDS),
            _names,
            _names,
            _names,
            st.sampled_from(["", "1970-01-02", "2001-12-31"]),
            _names,
        ),
        min_size=1,
        max_size=20,
    )
)
def test_blocking_keys_of_any_names_match_the_reference(rows):
    assert _vectorised(rows) == _reference(rows)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789", min_size=0, max_size=13), min_size=1, max_size=30))
def test_vectorised_inn_check_agrees_with_core_validators(values):
    valid = pl.DataFrame({"inn": values}).select(_inn_valid(pl.col("inn"))).to_series().to_list()
    assert valid == [is_valid_inn(v) for v in values]


def test_vectorised_inn_check_accepts_real_numbers():
    real = ["7707083893", "500100732259", "7830002293", "6674000000"]
    valid = pl.DataFrame({"inn": real}).select(_inn_valid(pl.col("inn"))).to_series().to_list()
    assert valid == [is_valid_inn(v) for v in real] and valid[:3] == [True, True, True]
