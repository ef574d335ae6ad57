"""Customer's invariants (clean, display name) and the account's date constraint."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from abonent.customers.models import Customer
from tests.factories import AccountFactory, CustomerFactory, make_inn, make_ogrn

pytestmark = pytest.mark.django_db


def _errors(customer: Customer) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc_info:
        customer.full_clean()
    return exc_info.value.message_dict


def test_valid_customers_of_every_kind_pass_full_clean() -> None:
    for customer in (CustomerFactory(), CustomerFactory(sole_proprietor=True), CustomerFactory(legal=True)):
        customer.full_clean()


def test_a_person_needs_last_and_first_name() -> None:
    assert "last_name" in _errors(CustomerFactory.build(first_name=""))
    assert "last_name" in _errors(CustomerFactory.build(sole_proprietor=True, last_name=""))


def test_a_person_has_a_twelve_digit_inn() -> None:
    assert "inn" in _errors(CustomerFactory.build(inn=make_inn(length=10)))


def test_a_person_may_have_no_inn() -> None:
    CustomerFactory.build(inn="").full_clean()


def test_a_sole_proprietor_has_a_fifteen_digit_ogrnip() -> None:
    assert "ogrn" in _errors(CustomerFactory.build(sole_proprietor=True, ogrn=make_ogrn(length=13)))


def test_a_legal_entity_needs_its_company_name() -> None:
    assert "company_name" in _errors(CustomerFactory.build(legal=True, company_name=""))


def test_a_legal_entity_has_a_ten_digit_inn_and_thirteen_digit_ogrn() -> None:
    assert "inn" in _errors(CustomerFactory.build(legal=True, inn=make_inn(length=12)))
    assert "ogrn" in _errors(CustomerFactory.build(legal=True, ogrn=make_ogrn(length=15)))


def test_an_inn_with_a_wrong_check_digit_is_refused() -> None:
    inn = make_inn(length=12)
    wrong = inn[:-1] + str((int(inn[-1]) + 1) % 10)
    assert "inn" in _errors(CustomerFactory.build(inn=wrong))


def test_display_name_by_kind() -> None:
    person = CustomerFactory.build(last_name="Иванова", first_name="Мария", middle_name="Петровна")
    no_patronymic = CustomerFactory.build(last_name="Смит", first_name="Джон", middle_name="")
    proprietor = CustomerFactory.build(
        sole_proprietor=True, last_name="Петров", first_name="Пётр", middle_name=""
    )
    company = CustomerFactory.build(legal=True, company_name="ООО «Ромашка»")
    assert person.display_name == str(person) == "Иванова Мария Петровна"
    assert no_patronymic.display_name == "Смит Джон"
    assert proprietor.display_name == "ИП Петров Пётр"
    assert company.display_name == "ООО «Ромашка»"


def test_an_account_cannot_close_before_it_opened() -> None:
    account = AccountFactory(opened_on=datetime.date(2024, 5, 1))
    account.closed_on = datetime.date(2024, 4, 30)
    with pytest.raises(ValidationError):
        account.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        account.save(update_fields=["closed_on"])


def test_an_account_may_close_on_the_day_it_opened() -> None:
    account = AccountFactory(opened_on=datetime.date(2024, 5, 1), closed_on=datetime.date(2024, 5, 1))
    account.full_clean()
