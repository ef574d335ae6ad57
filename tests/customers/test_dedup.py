"""Duplicate search on create and change of a client, and merges with undo."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from abonent.customers.creation import create_customer
from abonent.customers.dedup import (
    CustomerCandidate,
    DuplicateCustomer,
    MergeNotAllowed,
    UnmergeExpired,
    find_duplicates,
    merge_customers,
    unmerge_customers,
)
from abonent.customers.models import Account, Contact, Customer, DuplicateCandidate, SyncEvent
from tests.factories import AccountFactory, make_inn

pytestmark = pytest.mark.django_db


def _person(**fields: object) -> Customer:
    values = {"kind": "individual", "last_name": "Смирнова", "first_name": "Ольга", "middle_name": "Петровна",
              "birth_date": date(1980, 5, 17), "created_by": "system"} | fields  # fmt: skip
    return create_customer(**values)  # type: ignore[arg-type]


def test_the_same_email_is_refused_as_an_exact_duplicate():
    first = _person(email="olga@example.com")
    with pytest.raises(DuplicateCustomer) as refused:
        _person(last_name="Кузнецова", email=" OLGA@example.com ")
    assert refused.value.customer_id == first.pk and refused.value.reason == "email"


def test_the_same_inn_is_refused():
    inn = make_inn()
    first = _person(inn=inn)
    with pytest.raises(DuplicateCustomer) as refused:
        _person(last_name="Другая", first_name="Анна", inn=inn)
    assert refused.value.customer_id == first.pk


@pytest.mark.parametrize(
    "spelling",
    ["Смирнова", "СМИРНОВА", "Cмирнoва", "Смирнова ", "Смирновa", "Смирнава"],  # Latin С/о/а, a typo
)
def test_a_spelling_of_the_same_person_is_queued_with_a_score(spelling):
    first = _person(phone="+79120000001")
    second = _person(last_name=spelling)
    pair = DuplicateCandidate.objects.get(customer=second)
    assert pair.duplicate_of_id == first.pk and pair.score >= 80
    assert SyncEvent.objects.filter(topic="customer.created").count() == 2


def test_different_people_are_not_matched():
    _person()
    _person(last_name="Иванов", first_name="Пётр", middle_name="Сергеевич", birth_date=date(1991, 2, 3))
    assert not DuplicateCandidate.objects.exists()


def test_find_duplicates_on_a_change_excludes_the_customer_itself():
    first = _person(phone="+79120000002")
    assert find_duplicates(candidate=CustomerCandidate.of(first)) == []
    twin = Customer.objects.create(
        kind="individual", last_name="Смирнова", first_name="Ольга", middle_name="Петровна"
    )
    Contact.objects.create(customer=twin, kind="phone", value="+79120000002")
    matches = find_duplicates(candidate=CustomerCandidate.of(first))
    assert [m.customer_id for m in matches] == [twin.pk] and "phone" in matches[0].reasons


def test_a_merge_moves_everything_and_is_undone(admin):
    survivor, merged = _person(email="a@example.com"), _person(last_name="Смирнава", phone="+79120000003")
    account = AccountFactory(customer=merged)
    merge = merge_customers(survivor=survivor, merged=merged, merged_by=admin)
    assert Account.objects.get(pk=account.pk).customer_id == survivor.pk
    assert Contact.objects.filter(customer=survivor).count() == 2
    with pytest.raises(MergeNotAllowed):
        merge_customers(survivor=survivor, merged=merged, merged_by=admin)
    assert find_duplicates(candidate=CustomerCandidate.of(survivor)) == []  # the merged one is gone

    unmerge_customers(merge=merge, undone_by=admin)
    assert Account.objects.get(pk=account.pk).customer_id == merged.pk
    assert list(Contact.objects.filter(customer=merged).values_list("value", flat=True)) == ["+79120000003"]


def test_a_merge_older_than_the_period_stays(admin):
    survivor, merged = _person(), _person(last_name="Смирнава")
    merge = merge_customers(survivor=survivor, merged=merged, merged_by=admin)
    with freeze_time(timezone.now() + timedelta(days=91)), pytest.raises(UnmergeExpired):
        unmerge_customers(merge=merge, undone_by=admin)
