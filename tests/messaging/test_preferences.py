"""Notification preferences per topic and channel, and consents recorded the way 152-FZ asks."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.test import RequestFactory

from abonent.core.models import AuditEvent
from abonent.messaging.models import Channel, ChannelPreference, Consent, OutboundMessage, Topic
from abonent.messaging.selectors import (
    MessageNotFound,
    channel_choices,
    consent_in_force,
    filter_messages,
    may_send,
    message_for_login,
    messages_for_login,
    unread_count,
)
from abonent.messaging.services import (
    give_consent,
    mark_all_read,
    queue_message,
    revoke_consent,
    set_channel_preferences,
)

pytestmark = pytest.mark.django_db

MARKETING = Consent.Kind.MARKETING


@pytest.fixture
def request_from_home():  # type: ignore[no-untyped-def]
    return RequestFactory().post("/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Mozilla/5.0 (Old phone)")


def test_defaults_send_everything_but_advertising(account) -> None:  # type: ignore[no-untyped-def]
    choices = channel_choices(customer_id=account.customer_id)
    assert choices[(Topic.BILLS, Channel.SMS)] is True
    assert choices[(Topic.MARKETING, Channel.EMAIL)] is False
    assert (Topic.SECURITY, Channel.SMS) not in choices  # not the customer's choice


def test_choices_are_stored_only_when_changed_and_audited(account, customer) -> None:  # type: ignore[no-untyped-def]
    customer_ = account.customer
    changed = set_channel_preferences(
        customer=customer_,
        choices={(Topic.BILLS, Channel.SMS): False, (Topic.BILLS, Channel.EMAIL): True},
        changed_by=customer,
    )
    assert changed == {"bills/sms": False}
    assert ChannelPreference.objects.filter(customer=customer_).count() == 1
    assert channel_choices(customer_id=customer_.pk)[(Topic.BILLS, Channel.SMS)] is False
    event = AuditEvent.objects.get(object_type="customers.Customer", object_id=str(customer_.pk))
    assert event.changes == {"notifications": {"bills/sms": False}}
    assert event.actor == customer and event.personal_data

    assert (
        set_channel_preferences(
            customer=customer_, choices={(Topic.BILLS, Channel.SMS): False}, changed_by=customer
        )
        == {}
    )
    assert AuditEvent.objects.filter(object_type="customers.Customer").count() == 1


def test_topics_outside_the_offer_are_ignored(account, customer) -> None:  # type: ignore[no-untyped-def]
    changed = set_channel_preferences(
        customer=account.customer, choices={(Topic.SECURITY, Channel.SMS): False}, changed_by=customer
    )
    assert changed == {}
    assert may_send(customer_id=account.customer_id, topic=Topic.SECURITY, channel=Channel.SMS)


def test_may_send_follows_choices_mandatory_topics_and_consent(account, customer) -> None:  # type: ignore[no-untyped-def]
    cid = account.customer_id
    set_channel_preferences(
        customer=account.customer,
        choices={(Topic.READINGS, Channel.SMS): False, (Topic.MARKETING, Channel.EMAIL): True},
        changed_by=customer,
    )
    assert not may_send(customer_id=cid, topic=Topic.READINGS, channel=Channel.SMS)
    assert may_send(customer_id=cid, topic=Topic.READINGS, channel=Channel.EMAIL)
    assert may_send(customer_id=cid, topic=Topic.READINGS, channel=Channel.CABINET)  # always kept
    assert may_send(customer_id=cid, topic=Topic.DEBT, channel=Channel.SMS)  # the law needs proof of delivery
    assert not may_send(customer_id=cid, topic=Topic.MARKETING, channel=Channel.EMAIL)  # no consent yet
    give_consent(customer=account.customer, kind=MARKETING, given_by=customer)
    assert may_send(customer_id=cid, topic=Topic.MARKETING, channel=Channel.EMAIL)
    assert not may_send(customer_id=cid, topic=Topic.MARKETING, channel=Channel.SMS)  # not chosen


def test_consent_keeps_text_version_time_ip_and_browser(account, customer, request_from_home) -> None:  # type: ignore[no-untyped-def]
    consent = give_consent(
        customer=account.customer, kind=MARKETING, given_by=customer, request=request_from_home
    )
    assert consent.text_version and len(consent.text) > 50
    assert consent.given_ip == "203.0.113.7"
    assert consent.given_user_agent == "Mozilla/5.0 (Old phone)"
    assert consent.given_by == customer and consent.given_at is not None
    event = AuditEvent.objects.get(object_type="messaging.Consent", action=AuditEvent.Action.CREATE)
    assert event.ip_address == "203.0.113.7"


def test_giving_twice_keeps_the_first_grant(account, customer) -> None:  # type: ignore[no-untyped-def]
    first = give_consent(customer=account.customer, kind=MARKETING, given_by=customer)
    assert give_consent(customer=account.customer, kind=MARKETING, given_by=customer) == first
    assert Consent.objects.count() == 1


def test_only_one_consent_in_force_per_kind(account, customer) -> None:  # type: ignore[no-untyped-def]
    consent = give_consent(customer=account.customer, kind=MARKETING, given_by=customer)
    consent.pk = None
    with pytest.raises(IntegrityError):
        consent.save()


def test_revoking_records_when_and_from_where_and_keeps_history(account, customer, request_from_home) -> None:  # type: ignore[no-untyped-def]
    give_consent(customer=account.customer, kind=MARKETING, given_by=customer)
    revoked = revoke_consent(
        customer=account.customer, kind=MARKETING, revoked_by=customer, request=request_from_home
    )
    assert revoked is not None and revoked.revoked_at is not None
    assert revoked.revoked_ip == "203.0.113.7" and revoked.revoked_by == customer
    assert consent_in_force(customer_id=account.customer_id, kind=MARKETING) is None
    assert revoke_consent(customer=account.customer, kind=MARKETING, revoked_by=customer) is None

    again = give_consent(customer=account.customer, kind=MARKETING, given_by=customer)
    assert Consent.objects.filter(customer=account.customer).count() == 2
    assert consent_in_force(customer_id=account.customer_id, kind=MARKETING) == again
    assert AuditEvent.objects.filter(object_type="messaging.Consent").count() == 3


def _message(key: str, **fields) -> OutboundMessage:  # type: ignore[no-untyped-def]
    defaults = {"channel": Channel.CABINET, "topic": Topic.BILLS, "recipient": "cabinet", "body": "Текст"}
    return queue_message(idempotency_key=key, **{**defaults, **fields})


def test_the_archive_holds_the_login_and_its_customers_messages(
    account, customer, stranger, other_account
) -> None:  # type: ignore[no-untyped-def]
    mine = _message("a", customer_id=account.customer_id)
    code = _message(
        "b", channel=Channel.SMS, topic=Topic.SECURITY, recipient=customer.phone, user_id=customer.pk
    )
    _message("c", customer_id=other_account.customer_id)
    archive = messages_for_login(user_id=customer.pk, customer_ids=[account.customer_id])
    assert set(archive) == {mine, code}
    assert list(filter_messages(messages=archive, channel=Channel.SMS)) == [code]
    assert list(filter_messages(messages=archive, topic=Topic.BILLS)) == [mine]
    with pytest.raises(MessageNotFound):
        message_for_login(user_id=stranger.pk, customer_ids=[other_account.customer_id], message_id=mine.pk)


def test_unread_counts_cabinet_messages_and_mark_all_read(account, customer) -> None:  # type: ignore[no-untyped-def]
    _message("a", customer_id=account.customer_id)
    _message("b", customer_id=account.customer_id)
    _message("c", customer_id=account.customer_id, channel=Channel.EMAIL, recipient="a@example.ru")
    ids = [account.customer_id]
    assert unread_count(user_id=customer.pk, customer_ids=ids) == 2
    assert list(
        filter_messages(messages=messages_for_login(user_id=customer.pk, customer_ids=ids), unread_only=True)
    )
    assert mark_all_read(user_id=customer.pk, customer_ids=ids) == 2
    assert unread_count(user_id=customer.pk, customer_ids=ids) == 0
