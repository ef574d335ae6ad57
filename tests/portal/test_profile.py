"""The profile: contacts confirmed by a code, notification channels, paper bills and consents.

Only an owner or a representative changes the customer's data; a tenant gets "forbidden", a
stranger "not found", and every change is audited.
"""

from __future__ import annotations

import pytest

from abonent.core.models import AuditEvent
from abonent.customers.models import Contact, Customer
from abonent.customers.services import update_contact
from abonent.messaging.models import Channel, ChannelPreference, Consent, OutboundMessage, Topic
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

NEW_PHONE = "+79127776655"


def _profile(account) -> str:  # type: ignore[no-untyped-def]
    return f"/cabinet/accounts/{account.pk}/profile/"


@pytest.fixture
def owners_phone(account) -> Contact:  # type: ignore[no-untyped-def]
    return ContactFactory(customer=account.customer, value="+79120001122", verified_at="2025-01-01T00:00Z")


def test_profile_link_opens_the_current_accounts_profile(client_for, customer, account) -> None:  # type: ignore[no-untyped-def]
    assert client_for(customer).get("/cabinet/profile/").url == _profile(account)


def test_owner_sees_contacts_preferences_paper_and_consent(
    client_for, customer, account, owners_phone
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).get(_profile(account))
    body = response.content.decode()
    assert response.context["can_edit"]
    assert "+7 (912) 000-11-22" in body
    for section in ('id="contacts"', 'id="notifications"', 'id="paper-bill"', 'id="consents"'):
        assert section in body


def test_tenant_sees_a_note_and_none_of_the_owners_data(client_for, tenant, account, owners_phone) -> None:  # type: ignore[no-untyped-def]
    response = client_for(tenant).get(_profile(account))
    assert response.status_code == 200
    assert not response.context["can_edit"]
    assert "000-11-22" not in response.content.decode()


def test_stranger_gets_not_found_everywhere(client_for, stranger, account, owners_phone) -> None:  # type: ignore[no-untyped-def]
    client = client_for(stranger)
    for path in ("", "phone/", "email/", "phone/confirm/"):
        assert client.get(_profile(account) + path).status_code == 404
    for path, data in [
        ("phone/", {"value": NEW_PHONE}),
        ("notifications/", {}),
        ("paper-bill/", {"paper_bill": "0"}),
        ("consents/marketing/", {"decision": "give"}),
    ]:
        assert client.post(_profile(account) + path, data).status_code == 404
    owners_phone.refresh_from_db()
    assert owners_phone.value == "+79120001122"
    assert not Consent.objects.exists()


def test_tenant_may_not_change_the_owners_contacts_or_consents(
    client_for, tenant, account, owners_phone
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(tenant)
    assert client.get(_profile(account) + "phone/").status_code == 403
    assert client.post(_profile(account) + "phone/", {"value": NEW_PHONE}).status_code == 403
    assert client.post(_profile(account) + "paper-bill/", {"paper_bill": "0"}).status_code == 403
    assert client.post(_profile(account) + "consents/marketing/", {"decision": "give"}).status_code == 403
    owners_phone.refresh_from_db()
    assert owners_phone.value == "+79120001122"
    assert Customer.objects.get(pk=account.customer_id).paper_bill
    assert not Consent.objects.exists()


def test_a_new_phone_is_unconfirmed_until_the_code_is_entered(
    client_for, customer, account, owners_phone, sent_code
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    response = client.post(_profile(account) + "phone/", {"value": "8 (912) 777-66-55"})
    assert response.url == _profile(account) + "phone/confirm/"
    owners_phone.refresh_from_db()
    assert owners_phone.value == NEW_PHONE and owners_phone.verified_at is None
    event = AuditEvent.objects.get(object_type="customers.Contact", action=AuditEvent.Action.UPDATE)
    assert event.changes["value"] == ["+7 (912) ***-**-22", "+7 (912) ***-**-55"]  # masked in the log
    assert event.actor == customer

    page = client.get(response.url).content.decode()
    assert "***-**-55" in page
    wrong = client.post(response.url, {"code": "000000" if sent_code(NEW_PHONE) != "000000" else "111111"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    owners_phone.refresh_from_db()
    assert owners_phone.verified_at is None

    done = client.post(response.url, {"code": sent_code(NEW_PHONE)})
    assert done.url == _profile(account) + "#contacts"
    owners_phone.refresh_from_db()
    assert owners_phone.verified_at is not None


def test_the_code_goes_to_the_new_contact_and_stays_hidden_in_the_inbox(
    client_for, customer, account, owners_phone
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    client.post(_profile(account) + "phone/", {"value": NEW_PHONE})
    message = OutboundMessage.objects.get(recipient=NEW_PHONE)
    assert (message.channel, message.topic, message.user_id) == (Channel.SMS, Topic.SECURITY, customer.pk)
    body = client.get(f"/cabinet/messages/{message.pk}/").content.decode()
    assert message.body not in body


def test_an_email_can_be_added(client_for, customer, account) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).post(_profile(account) + "email/", {"value": " Maria@Example.RU "})
    assert response.status_code == 302
    email = Contact.objects.get(customer=account.customer, kind=Contact.Kind.EMAIL)
    assert (email.value, email.is_primary, email.verified_at) == ("maria@example.ru", True, None)
    assert OutboundMessage.objects.filter(recipient="maria@example.ru", channel=Channel.EMAIL).exists()


def test_a_wrong_phone_is_explained(client_for, customer, account, owners_phone) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).post(_profile(account) + "phone/", {"value": "12345"})
    assert response.status_code == 200
    assert response.context["form"].errors["value"]
    owners_phone.refresh_from_db()
    assert owners_phone.value == "+79120001122"


def test_the_same_confirmed_phone_changes_nothing(customer, account, owners_phone) -> None:  # type: ignore[no-untyped-def]
    contact = update_contact(
        customer=account.customer, kind="phone", value="+7 912 000 11 22", changed_by=customer
    )
    assert contact.verified_at is not None
    assert not AuditEvent.objects.filter(object_type="customers.Contact").exists()


def test_paper_bills_are_switched_off_and_on(client_for, customer, account) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    response = client.post(_profile(account) + "paper-bill/", {"paper_bill": "0"})
    assert response.url.endswith("#paper-bill")
    assert not Customer.objects.get(pk=account.customer_id).paper_bill
    event = AuditEvent.objects.get(object_type="customers.Customer")
    assert event.changes == {"paper_bill": [True, False]}
    client.post(_profile(account) + "paper-bill/", {"paper_bill": "1"})
    assert Customer.objects.get(pk=account.customer_id).paper_bill


def test_notification_choices_are_saved(client_for, customer, account) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    form = client.get(_profile(account)).context["notifications"]
    data = {name: "on" for name, field in form.fields.items() if form.initial.get(name, field.initial)}
    data.pop("readings__sms")
    client.post(_profile(account) + "notifications/", data)
    preference = ChannelPreference.objects.get(customer=account.customer)
    assert (preference.topic, preference.channel, preference.enabled) == ("readings", "sms", False)
    assert preference.updated_by == customer


def test_marketing_consent_is_given_and_revoked_with_evidence(client_for, customer, account) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    client.post(_profile(account) + "consents/marketing/", {"decision": "give"}, REMOTE_ADDR="198.51.100.4")
    consent = Consent.objects.get(customer=account.customer)
    assert consent.given_ip == "198.51.100.4" and consent.given_by == customer and consent.text
    assert client.get(_profile(account)).context["consent"] == consent

    client.post(_profile(account) + "consents/marketing/", {"decision": "revoke"}, REMOTE_ADDR="198.51.100.5")
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoked_ip == "198.51.100.5"


def test_representative_of_a_company_edits_its_contacts(client_for, company_login) -> None:  # type: ignore[no-untyped-def]
    accountant, company, accounts = company_login(2)
    response = client_for(accountant).post(
        _profile(accounts[1]) + "email/", {"value": "buh@romashka.example"}
    )
    assert response.status_code == 302
    assert Contact.objects.filter(customer=company, value="buh@romashka.example").exists()
