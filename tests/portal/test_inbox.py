"""The inbox: every message on every channel in one archive, filtered, opened, marked read; nobody else's."""

from __future__ import annotations

import pytest

from abonent.messaging.models import Channel, OutboundMessage, Topic
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail(account, customer, send_message) -> dict[str, OutboundMessage]:  # type: ignore[no-untyped-def]
    """One message of each channel to the customer, and a sign-in code to the owner's login."""
    cid = account.customer_id
    return {
        "cabinet": send_message(customer_id=cid, subject="Счёт за ноябрь", body="Сумма к оплате"),
        "email": send_message(
            customer_id=cid, channel=Channel.EMAIL, recipient="maria@example.ru", subject="Счёт"
        ),
        "sms": send_message(
            customer_id=cid, channel=Channel.SMS, recipient="+79123456789", topic=Topic.READINGS
        ),
        "push": send_message(
            customer_id=cid, channel=Channel.PUSH, recipient="device-1", topic=Topic.OUTAGES
        ),
        "paper": send_message(
            customer_id=cid, channel=Channel.PAPER, recipient="ул. Ленина, 5", subject="Уведомление"
        ),
        "code": send_message(
            user_id=customer.pk,
            channel=Channel.SMS,
            recipient="+79123456789",
            topic=Topic.SECURITY,
            subject="Код",
            body="Код 424242",
        ),
    }


def test_owner_sees_every_channel_in_one_archive(client_for, customer, mail) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).get("/cabinet/messages/")
    shown = {letter.message.pk for letter in response.context["letters"]}
    assert shown == {message.pk for message in mail.values()}
    assert response.context["unread"] == 1
    assert "424242" not in response.content.decode()


def test_filters_by_channel_topic_and_unread(client_for, customer, mail) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)

    def shown(query: str) -> set[int]:
        return {letter.message.pk for letter in client.get(f"/cabinet/messages/?{query}").context["letters"]}

    assert shown("channel=paper") == {mail["paper"].pk}
    assert shown("topic=outages") == {mail["push"].pk}
    assert shown("unread=on") == {mail["cabinet"].pk}
    assert shown("channel=sms&topic=readings") == {mail["sms"].pk}


def test_opening_a_cabinet_message_marks_it_read(client_for, customer, mail) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    response = client.get(f"/cabinet/messages/{mail['cabinet'].pk}/")
    assert "Сумма к оплате" in response.content.decode()
    mail["cabinet"].refresh_from_db()
    assert mail["cabinet"].read_at is not None
    client.get(f"/cabinet/messages/{mail['email'].pk}/")
    mail["email"].refresh_from_db()
    assert mail["email"].read_at is None  # only cabinet messages have a "read" state


def test_recipients_are_masked_and_codes_hidden(client_for, customer, mail) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    sms = client.get(f"/cabinet/messages/{mail['sms'].pk}/").content.decode()
    assert "+7 (912) ***-**-89" in sms and "+79123456789" not in sms
    code = client.get(f"/cabinet/messages/{mail['code'].pk}/").content.decode()
    assert "424242" not in code


def test_mark_all_read(client_for, customer, account, mail, send_message) -> None:  # type: ignore[no-untyped-def]
    send_message(customer_id=account.customer_id)
    client = client_for(customer)
    assert client.post("/cabinet/messages/read-all/").url == "/cabinet/messages/"
    assert client.get("/cabinet/messages/").context["unread"] == 0


def test_stranger_sees_none_of_it(client_for, stranger, mail) -> None:  # type: ignore[no-untyped-def]
    client = client_for(stranger)
    assert client.get("/cabinet/messages/").context["letters"] == []
    for message in mail.values():
        assert client.get(f"/cabinet/messages/{message.pk}/").status_code == 404
    client.post("/cabinet/messages/read-all/")
    mail["cabinet"].refresh_from_db()
    assert mail["cabinet"].read_at is None


def test_tenant_reads_only_what_was_sent_to_their_login(client_for, tenant, mail, send_message) -> None:  # type: ignore[no-untyped-def]
    own = send_message(user_id=tenant.pk, subject="Вам открыт доступ")
    client = client_for(tenant)
    assert [letter.message for letter in client.get("/cabinet/messages/").context["letters"]] == [own]
    assert client.get(f"/cabinet/messages/{mail['cabinet'].pk}/").status_code == 404


def test_inbox_pages_in_a_fixed_number_of_queries(
    client_for, customer, account, send_message, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(45):
        send_message(customer_id=account.customer_id)
    client = client_for(customer)
    # session, user, accesses, role policy, count, page, unread
    with django_assert_max_num_queries(7):
        response = client.get("/cabinet/messages/?page=2")
    assert len(response.context["letters"]) == 20


def test_a_login_without_accounts_has_an_empty_inbox(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(UserFactory()).get("/cabinet/messages/")
    assert response.status_code == 200 and response.context["letters"] == []
