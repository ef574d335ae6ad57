"""Hint rules: validated as data, evaluated against snapshots, ordered, filled in, per audience."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from abonent.billing.models import LedgerEntry
from abonent.billing.services.ledger import post_entry
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Contact
from abonent.hints.conditions import CONDITIONS, Scope
from abonent.hints.models import HintRule
from abonent.hints.selectors import rules_in_force
from abonent.hints.services import evaluate_hints, fill_placeholders
from abonent.identity.selectors import AccountAction
from tests.factories import AccountFactory, ContactFactory, CustomerFactory, MeterFactory, ServiceFactory
from tests.hints.conftest import BEFORE_WINDOW, TODAY, snapshot_of

pytestmark = pytest.mark.django_db


def test_the_default_rules_come_with_the_migration() -> None:
    conditions = set(HintRule.objects.filter(active=True).values_list("condition", flat=True))
    assert {
        "readings_window_closes_within",
        "meter_verification_expires_within",
        "paper_bill_enabled",
    } <= conditions
    for rule in HintRule.objects.all():
        rule.full_clean()  # every default rule passes the admin's validation


def test_default_rules_give_the_three_examples(account) -> None:  # type: ignore[no-untyped-def]
    MeterFactory(
        account=account, serial_number="555", next_verification_on=TODAY + datetime.timedelta(days=30)
    )
    account.customer.paper_bill = True
    account.customer.save()
    with translation.override("ru"):
        hints = evaluate_hints(snapshot=snapshot_of(account), rules=rules_in_force(today=TODAY))
    texts = " | ".join(hint.text for hint in hints)
    assert "до 25 ноября включительно" in texts  # the window closes two days after the 23rd
    assert "№555" in texts and "23 декабря 2026" in texts
    assert "вместо бумажных" in texts
    assert [hint.priority for hint in hints] == sorted(hint.priority for hint in hints)


def test_readings_window_closes_within_counts_days_after_today(account, make_rule, no_rules) -> None:  # type: ignore[no-untyped-def]
    MeterFactory(account=account)
    rule = make_rule(
        condition="readings_window_closes_within", parameters={"days": 1}, text="{days_left_words}"
    )
    assert evaluate_hints(snapshot=snapshot_of(account), rules=[rule]) == []  # 23rd: two days after today
    rule.parameters = {"days": 2}
    with translation.override("en"):
        [hint] = evaluate_hints(snapshot=snapshot_of(account), rules=[rule])
    assert hint.text == "3 days"
    assert hint.requires_action == AccountAction.SUBMIT_READINGS


def test_readings_hints_stop_when_everything_is_submitted(account, make_rule, no_rules) -> None:  # type: ignore[no-untyped-def]
    rule = make_rule(condition="readings_window_open", text="Передайте показания")
    assert evaluate_hints(snapshot=snapshot_of(account), rules=[rule]) == []  # no meters: nothing to submit
    MeterFactory(account=account)
    assert len(evaluate_hints(snapshot=snapshot_of(account), rules=[rule])) == 1
    assert evaluate_hints(snapshot=snapshot_of(account, now=BEFORE_WINDOW), rules=[rule]) == []


def test_verification_rules(account, make_rule, no_rules) -> None:  # type: ignore[no-untyped-def]
    MeterFactory(account=account, serial_number="1", next_verification_on=TODAY - datetime.timedelta(days=1))
    MeterFactory(account=account, serial_number="2", next_verification_on=TODAY + datetime.timedelta(days=10))
    expired = make_rule(condition="meter_verification_expired", text="{count}: {meters}")
    soon = make_rule(condition="meter_verification_expires_within", parameters={"days": 5}, text="{meter}")
    with translation.override("en"):
        hints = evaluate_hints(snapshot=snapshot_of(account), rules=[expired, soon])
    assert [hint.text for hint in hints] == ["1: Electricity №1"]
    soon.parameters = {"days": 10}
    assert len(evaluate_hints(snapshot=snapshot_of(account), rules=[expired, soon])) == 2


def test_customer_conditions(account, make_rule, no_rules) -> None:  # type: ignore[no-untyped-def]
    paper = make_rule(condition="paper_bill_enabled")
    email = make_rule(condition="no_email_contact")
    hints = evaluate_hints(snapshot=snapshot_of(account), rules=[paper, email])
    assert {hint.scope for hint in hints} == {Scope.CUSTOMER}
    assert {hint.requires_action for hint in hints} == {AccountAction.EDIT_CONTACTS}
    account.customer.paper_bill = False
    account.customer.save()
    ContactFactory(customer=account.customer, kind=Contact.Kind.EMAIL, value="x@example.ru")
    assert evaluate_hints(snapshot=snapshot_of(account), rules=[paper, email]) == []


def test_unread_messages_and_suspension(account, make_rule, no_rules) -> None:  # type: ignore[no-untyped-def]
    unread = make_rule(condition="unread_messages", parameters={"at_least": 2}, text="{count_words}")
    suspended = make_rule(condition="account_suspended")
    assert evaluate_hints(snapshot=snapshot_of(account, unread=1), rules=[unread, suspended]) == []
    with translation.override("en"):
        [hint] = evaluate_hints(snapshot=snapshot_of(account, unread=5), rules=[unread])
    assert hint.text == "5 messages"
    Account.objects.filter(pk=account.pk).update(status=Account.Status.SUSPENDED)
    assert len(evaluate_hints(snapshot=snapshot_of(account), rules=[suspended])) == 1


def test_audience_limits_a_rule(branch, make_rule, no_rules) -> None:  # type: ignore[no-untyped-def]
    household = AccountFactory(branch=branch)
    company = AccountFactory(branch=branch, customer=CustomerFactory(legal=True, paper_bill=True))
    rule = make_rule(audience=HintRule.Audience.BUSINESS)
    assert evaluate_hints(snapshot=snapshot_of(household), rules=[rule]) == []
    assert len(evaluate_hints(snapshot=snapshot_of(company), rules=[rule])) == 1


def test_rules_in_force_respect_activity_and_dates(make_rule, no_rules) -> None:  # type: ignore[no-untyped-def]
    day = datetime.timedelta(days=1)
    current = make_rule(name="current", valid_from=TODAY - day, valid_until=TODAY)
    make_rule(name="future", valid_from=TODAY + day)
    make_rule(name="past", valid_until=TODAY - day)
    make_rule(name="off", active=False)
    always = make_rule(name="always", priority=1)
    assert rules_in_force(today=TODAY) == [always, current]


def test_english_text_and_action_link(account, make_rule, no_rules) -> None:  # type: ignore[no-untyped-def]
    rule = make_rule(
        text="Откажитесь от бумаги",
        text_en="Go paperless",
        action_url_name="portal:account_profile#paper-bill",
        action_label="Отказаться",
        action_label_en="Switch",
    )
    with translation.override("en"):
        [hint] = evaluate_hints(snapshot=snapshot_of(account), rules=[rule])
    assert (hint.text, hint.action_label) == ("Go paperless", "Switch")
    assert hint.action_url == f"/cabinet/accounts/{account.pk}/profile/#paper-bill"
    with translation.override("ru"):
        [hint] = evaluate_hints(snapshot=snapshot_of(account), rules=[rule])
    assert (hint.text, hint.action_label) == ("Откажитесь от бумаги", "Отказаться")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"condition": "readings_window_closes_within", "parameters": {"days": "two"}}, "parameters"),
        ({"condition": "readings_window_closes_within", "parameters": {"days": 99}}, "parameters"),
        ({"condition": "readings_window_closes_within", "parameters": {"weeks": 1}}, "parameters"),
        ({"condition": "readings_window_closes_within", "parameters": [2]}, "parameters"),
        ({"condition": "paper_bill_enabled", "text": "Осталось {days_left}"}, "text"),
        ({"condition": "paper_bill_enabled", "text_en": "{oops}"}, "text_en"),
        ({"condition": "paper_bill_enabled", "action_url_name": "no-such:page"}, "action_url_name"),
        ({"condition": "no_such_condition"}, "condition"),
    ],
)
def test_bad_rules_are_refused_with_the_field_named(make_rule, fields, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as error:
        make_rule(**fields)
    assert field in error.value.message_dict


def test_parameters_get_their_defaults(make_rule) -> None:  # type: ignore[no-untyped-def]
    rule = make_rule(condition="meter_verification_expires_within", parameters={})
    assert rule.parameters == {"days": 60}


def test_placeholders_never_run_format_on_staff_text() -> None:
    assert fill_placeholders("{count} {x.__class__} {unknown}", {"count": "3"}) == "3 {x.__class__} {unknown}"


def test_every_condition_declares_its_placeholders_consistently(account) -> None:  # type: ignore[no-untyped-def]
    MeterFactory(account=account, next_verification_on=TODAY - datetime.timedelta(days=1))
    Account.objects.filter(pk=account.pk).update(status=Account.Status.SUSPENDED)
    snapshot = snapshot_of(account, unread=3)
    for condition in CONDITIONS.values():
        values = condition.evaluate(snapshot, {"days": 366, "at_least": 1})
        if values is not None:
            assert set(values) == set(condition.placeholders), condition.key


def test_balance_conditions(account, make_rule, no_rules) -> None:  # type: ignore[no-untyped-def]
    overdue = make_rule(condition="balance_overdue", text="{amount} / {due_on}")
    due_soon = make_rule(condition="bill_due_within", parameters={"days": 5}, text="{amount} до {due_on}")
    assert evaluate_hints(snapshot=snapshot_of(account), rules=[overdue, due_soon]) == []  # never billed
    post_entry(
        account=account,
        service=ServiceFactory(),
        period=BillingPeriod(2026, 10),
        kind=LedgerEntry.Kind.CHARGE,
        amount=Decimal("2431.17"),
        occurred_on=datetime.date(2026, 10, 31),
        source="test",
        idempotency_key="charge-october",
    )
    with translation.override("ru"):
        [hint] = evaluate_hints(snapshot=snapshot_of(account), rules=[overdue, due_soon])  # 23 November
        assert hint.text == "2\xa0431,17\xa0₽ / 15 ноября 2026"
        assert hint.requires_action == AccountAction.PAY
        early = datetime.datetime(2026, 11, 12, 10, tzinfo=datetime.UTC)
        [hint] = evaluate_hints(snapshot=snapshot_of(account, now=early), rules=[overdue, due_soon])
        assert hint.rule_id == due_soon.pk
        earlier = datetime.datetime(2026, 11, 2, 10, tzinfo=datetime.UTC)
        assert evaluate_hints(snapshot=snapshot_of(account, now=earlier), rules=[overdue, due_soon]) == []
