"""Every admin page of our apps opens; personal data opened or changed there is audited."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib import admin as django_admin
from django.contrib import messages
from django.contrib.messages import get_messages
from django.db import connection, models
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from abonent.core.models import AuditEvent
from abonent.customers.models import Account, Contact, Customer
from abonent.identity.models import ApiToken, User
from abonent.identity.services import hash_token, issue_api_token
from abonent.metering.models import Channel, Reading
from abonent.metering.services import set_ivr_pin
from tests.factories import (
    AccountFactory,
    AccountServiceFactory,
    CalendarDayFactory,
    ContactFactory,
    MeterFactory,
)

OUR_APPS = {"core", "identity", "customers", "metering"}
REGISTERED = sorted(
    (model for model in django_admin.site._registry if model._meta.app_label in OUR_APPS),
    key=lambda model: model._meta.label,
)


@pytest.fixture
def world(
    account: Account, customer: User, tenant: User, stranger: User, operator: User, admin: User
) -> None:
    """Create at least one row of every model our admin shows."""
    CalendarDayFactory(calendar=account.branch.calendar)
    ContactFactory(customer=account.customer, value="+79123456789")
    AccountServiceFactory(account=account)
    meter = MeterFactory(account=account)
    Reading.objects.create(
        meter=meter,
        period=datetime.date(2026, 3, 1),
        t1=Decimal("1234.5"),
        submitted_at=timezone.now(),
        channel=Channel.CABINET,
        submitted_by=customer,
    )
    set_ivr_pin(account=account, pin="4321")
    issue_api_token(user=operator, name="billing export", scopes=["accounts:read"], issued_by=admin)


@pytest.fixture
def admin_client(client_for: Callable[[User], Client], admin: User) -> Client:
    return client_for(admin)


def _url(model: type[models.Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _events(obj: models.Model, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk), action=action))


def test_every_model_of_our_apps_is_registered() -> None:
    labels = {model._meta.label for model in REGISTERED}
    assert {"core.AuditEvent", "customers.Account", "identity.User", "metering.Meter"} <= labels


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_add_and_change_pages_open(
    world: None, admin: User, admin_client: Client, rf: RequestFactory, model: type[models.Model]
) -> None:
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"add a row of {model._meta.label} to the `world` fixture"
    request = rf.get("/")
    request.user = admin
    can_add = django_admin.site._registry[model].has_add_permission(request)

    assert admin_client.get(_url(model, "changelist")).status_code == 200
    assert admin_client.get(_url(model, "changelist"), {"q": "8 (912) 345-67-89"}).status_code == 200
    assert admin_client.get(_url(model, "changelist"), {"q": "Иванова"}).status_code == 200
    assert admin_client.get(_url(model, "add")).status_code == (200 if can_add else 403)
    assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200


def test_opening_a_customer_writes_an_audit_event(world: None, admin_client: Client, admin: User) -> None:
    customer = Account.objects.get(number="6600123456").customer
    response = admin_client.get(_url(Customer, "change", customer.pk))
    assert response.status_code == 200
    [event] = _events(customer, AuditEvent.Action.VIEW)
    assert event.actor == admin
    assert event.personal_data
    assert event.ip_address == "127.0.0.1"


@pytest.mark.parametrize("model", [Contact, Account, User], ids=lambda model: model._meta.label)
def test_opening_other_personal_data_writes_an_audit_event(
    world: None, admin_client: Client, model: type[models.Model]
) -> None:
    obj = model._default_manager.order_by("pk").first()
    assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200
    assert len(_events(obj, AuditEvent.Action.VIEW)) == 1


def test_a_changelist_is_not_audited_as_a_view(world: None, admin_client: Client) -> None:
    admin_client.get(_url(Customer, "changelist"))
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).exists()


def test_changing_a_customer_records_the_field_names_not_the_values(
    account: Account, admin_client: Client
) -> None:
    customer = account.customer
    contact = ContactFactory(customer=customer, value="+79120000001")
    response = admin_client.post(
        _url(Customer, "change", customer.pk),
        {
            "kind": customer.kind,
            "paper_bill": "on",
            "last_name": "Сидорова",
            "first_name": customer.first_name,
            "middle_name": customer.middle_name,
            "inn": customer.inn,
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "1",
            "contacts-0-id": str(contact.pk),
            "contacts-0-customer": str(customer.pk),
            "contacts-0-kind": "phone",
            "contacts-0-value": "8 (912) 000-00-02",
            "contacts-0-is_primary": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    contact.refresh_from_db()
    assert customer.last_name == "Сидорова"
    assert contact.value == "+79120000002"  # stored in the canonical spelling
    [event] = _events(customer, AuditEvent.Action.UPDATE)
    assert event.changes == {"fields": ["last_name"], "contacts": {"changed_fields": ["value"]}}
    assert event.personal_data
    assert "Сидорова" not in str(event.changes)


def test_adding_a_user_stores_the_phone_and_email_canonically(admin_client: Client) -> None:
    response = admin_client.post(
        _url(User, "add"),
        {
            "username": "petrov",
            "usable_password": "true",
            "password1": "correct-horse-battery",
            "password2": "correct-horse-battery",
            "email": "Petrov@Example.COM",
            "phone": "8 (912) 111-22-33",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="petrov")
    assert (user.phone, user.email) == ("+79121112233", "petrov@example.com")
    [event] = _events(user, AuditEvent.Action.CREATE)
    assert "phone" in event.changes["fields"]


def test_a_phone_that_is_not_russian_is_refused(customer: User, admin_client: Client) -> None:
    response = admin_client.post(
        _url(User, "add"), {"username": "x", "usable_password": "false", "phone": "12345"}
    )
    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors


def test_the_audit_log_cannot_be_added_changed_or_deleted(world: None, admin_client: Client) -> None:
    event = AuditEvent.objects.first()
    assert admin_client.get(_url(AuditEvent, "add")).status_code == 403
    response = admin_client.get(_url(AuditEvent, "change", event.pk))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert admin_client.post(_url(AuditEvent, "change", event.pk), {"reason": "tampered"}).status_code == 403
    assert admin_client.get(_url(AuditEvent, "delete", event.pk)).status_code == 403
    assert admin_client.post(_url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    bulk = admin_client.post(
        _url(AuditEvent, "changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert bulk.status_code == 200
    event.refresh_from_db()
    assert event.reason != "tampered"
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_issuing_an_api_token_shows_the_raw_value_once(
    operator: User, admin: User, admin_client: Client
) -> None:
    response = admin_client.post(
        _url(ApiToken, "add"), {"name": "1C export", "user": str(operator.pk), "scopes": '["accounts:read"]'}
    )
    assert response.status_code == 302
    token = ApiToken.objects.get(name="1C export")
    [message] = [str(m) for m in get_messages(response.wsgi_request) if m.level == messages.WARNING]
    raw = message.rsplit(" ", 1)[-1]
    assert raw.startswith(token.prefix)
    assert token.token_hash == hash_token(raw)
    assert token.scopes == ["accounts:read"]
    assert _events(token, AuditEvent.Action.CREATE)[0].actor == admin
    assert raw.encode() in admin_client.get(response.url).content  # the page after the redirect shows it
    assert raw.encode() not in admin_client.get(_url(ApiToken, "change", token.pk)).content


def test_customer_search_finds_a_phone_in_any_spelling(
    world: None, admin_client: Client, account: Account
) -> None:
    response = admin_client.get(_url(Customer, "changelist"), {"q": "8 (912) 345-67-89"})
    assert list(response.context["cl"].result_list) == [account.customer]
    response = admin_client.get(_url(Account, "changelist"), {"q": "+7 912 345 67 89"})
    assert list(response.context["cl"].result_list) == [account]


def test_account_autocomplete_searches_customers(world: None, admin_client: Client, account: Account) -> None:
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "customers", "model_name": "account", "field_name": "customer", "term": "Иванова"},
    )
    assert response.status_code == 200
    assert [int(row["id"]) for row in response.json()["results"]] == [account.customer.pk]


def test_the_account_changelist_makes_no_query_per_row(account: Account, admin_client: Client) -> None:
    url = _url(Account, "changelist")
    admin_client.get(url)  # the first request caches the signed-in user; compare the later ones
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url)
    AccountFactory.create_batch(5, branch=account.branch)
    with CaptureQueriesContext(connection) as six:
        admin_client.get(url)
    assert len(six) == len(one)
