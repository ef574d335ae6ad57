"""Quarantine reasons and rule counters read as sentences in the reader's language (Russian by default)."""

from __future__ import annotations

import pytest
from django.utils import translation

from abonent.integration.reasons import describe_reason, describe_rule

CODES = [
    "inn_invalid:inn",
    "bad_date:birth_date",
    "missing_required:name",
    "misplaced_value:phone/email",
    "conflicting_duplicate:account_number",
    "duplicate_customer:email:42",
    "duplicate_customer:inn:row 7",
    "account_exists_elsewhere",
    "extra_fields",
    "changed_after_posting",
]


@pytest.mark.parametrize("code", CODES)
def test_every_reason_the_import_stores_has_russian_and_english_words(code):
    with translation.override("en"):
        english = describe_reason(code)
    with translation.override("ru"):
        russian = describe_reason(code)
    assert english != code and russian != code
    assert english != russian
    assert any("а" <= ch <= "я" for ch in russian.lower())


def test_details_of_a_reason_are_kept():
    with translation.override("ru"):
        assert "42" in describe_reason("duplicate_customer:email:42")
        assert "7" in describe_reason("duplicate_customer:inn:row 7")
        assert describe_reason("inn_invalid:inn") == "Неверная длина или контрольная цифра: ИНН"
        assert describe_rule("homoglyphs") == "Латинские буквы-двойники в кириллице (заменены)"


def test_an_unknown_code_is_shown_as_it_is():
    assert describe_reason("something_new:x") == "something_new:x"
