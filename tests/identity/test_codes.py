"""One-time codes: a keyed hash only, 5 minutes, 5 attempts, one code a minute per contact, via the outbox."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation
from freezegun import freeze_time

from abonent.identity.errors import (
    CodeAttemptsExhausted,
    CodeExpired,
    CodeInvalid,
    CodeThrottled,
    ContactRequired,
)
from abonent.identity.models import OneTimeCode, User
from abonent.identity.services.codes import (
    Contact,
    parse_contact,
    resend_one_time_code,
    send_one_time_code,
    verify_one_time_code,
)
from abonent.identity.services.signin import start_code_sign_in
from abonent.messaging.models import OutboundMessage

pytestmark = pytest.mark.django_db
PHONE = Contact("sms", "+79120000001")


def _send(contact: Contact = PHONE, **kwargs) -> OneTimeCode:  # type: ignore[no-untyped-def]
    return send_one_time_code(purpose=OneTimeCode.Purpose.LOGIN, contact=contact, **kwargs)


def _verify(challenge: OneTimeCode, code: str) -> OneTimeCode:
    return verify_one_time_code(token=challenge.token, purpose=challenge.purpose, code=code)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 (912) 000-00-01", Contact("sms", "+79120000001")),
        ("+7 912 000 00 01", Contact("sms", "+79120000001")),
        (" Name@Mail.RU ", Contact("email", "name@mail.ru")),
    ],
)
def test_contacts_are_read_in_any_spelling(raw: str, expected: Contact) -> None:
    assert parse_contact(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "name@", "@mail.ru", "not a phone"])
def test_a_contact_that_is_neither_phone_nor_email_is_refused(raw: str) -> None:
    with pytest.raises(ContactRequired):
        parse_contact(raw)


def test_the_code_goes_through_the_outbox_and_only_its_hash_is_stored(sent_code) -> None:  # type: ignore[no-untyped-def]
    challenge = _send()
    code = sent_code(PHONE.recipient)
    message = OutboundMessage.objects.get(idempotency_key=f"otp:{challenge.token}")
    assert (message.channel, message.topic) == ("sms", "security")
    assert len(code) == 6 and code.isdigit()
    assert code not in challenge.code_hash and len(challenge.code_hash) == 64
    assert challenge.expires_at == challenge.created_at + datetime.timedelta(minutes=5)
    assert _verify(challenge, code).used_at is not None


def test_an_email_code_goes_by_email(sent_code, mailoutbox, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        _send(Contact("email", "name@mail.ru"))
    code = sent_code("name@mail.ru")
    assert mailoutbox[-1].to == ["name@mail.ru"]
    assert code in mailoutbox[-1].body


def test_the_same_code_under_two_challenges_hashes_differently(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("abonent.identity.services.codes.new_digit_code", lambda: "123456")
    first = _send(PHONE)
    second = _send(Contact("sms", "+79120000002"))
    assert first.code_hash != second.code_hash


def test_a_code_works_once(sent_code) -> None:  # type: ignore[no-untyped-def]
    challenge = _send()
    code = sent_code(PHONE.recipient)
    _verify(challenge, code)
    with pytest.raises(CodeExpired):
        _verify(challenge, code)


def test_a_code_expires_after_five_minutes(sent_code) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2026-03-02 10:00:00"):
        challenge = _send()
        code = sent_code(PHONE.recipient)
    with freeze_time("2026-03-02 10:05:01"), pytest.raises(CodeExpired):
        _verify(challenge, code)


def test_a_code_is_good_until_the_last_second(sent_code) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2026-03-02 10:00:00"):
        challenge = _send()
        code = sent_code(PHONE.recipient)
    with freeze_time("2026-03-02 10:04:59"):
        assert _verify(challenge, code).used_at is not None


def test_wrong_codes_count_down_and_the_fifth_locks_the_code(sent_code) -> None:  # type: ignore[no-untyped-def]
    challenge = _send()
    code = sent_code(PHONE.recipient)
    wrong = "000000" if code != "000000" else "111111"
    left = []
    for _ in range(4):
        with translation.override("en"), pytest.raises(CodeInvalid) as error:
            _verify(challenge, wrong)
        left.append(error.value.attempts_left)
    assert left == [4, 3, 2, 1]
    assert "1 attempt left" in error.value.message
    with pytest.raises(CodeAttemptsExhausted):
        _verify(challenge, wrong)
    with pytest.raises(CodeAttemptsExhausted):
        _verify(challenge, code)  # even the right code is refused now
    challenge.refresh_from_db()
    assert challenge.attempts == 5 and challenge.used_at is None


def test_a_new_code_within_a_minute_is_refused_then_allowed() -> None:
    with freeze_time("2026-03-02 10:00:00"):
        _send()
    with freeze_time("2026-03-02 10:00:20"), pytest.raises(CodeThrottled) as error:
        _send()
    assert error.value.retry_after == 40
    with freeze_time("2026-03-02 10:01:01"):
        assert _send().pk


def test_the_throttle_is_per_contact_and_purpose() -> None:
    _send(PHONE)
    _send(Contact("sms", "+79120000002"))
    send_one_time_code(purpose=OneTimeCode.Purpose.PASSWORD_RESET, contact=PHONE)


def test_a_new_code_replaces_the_earlier_one(sent_code, customer: User) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2026-03-02 10:00:00"):
        first = _send(user=customer)
        first_code = sent_code(PHONE.recipient)
    with freeze_time("2026-03-02 10:01:30"):
        second = resend_one_time_code(token=first.token)
        with pytest.raises(CodeExpired):
            _verify(first, first_code)
        assert _verify(second, sent_code(PHONE.recipient)).pk == second.pk


def test_a_resend_keeps_the_payload(sent_code) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2026-03-02 10:00:00"):
        first = send_one_time_code(
            purpose=OneTimeCode.Purpose.REGISTRATION, contact=PHONE, payload={"account_id": 7}
        )
    with freeze_time("2026-03-02 10:02:00"):
        assert resend_one_time_code(token=first.token).payload == {"account_id": 7}


def test_a_sign_in_code_for_an_unknown_phone_is_never_sent() -> None:
    challenge = start_code_sign_in(contact=Contact("sms", "+79990000000"))
    assert challenge.user is None
    assert not OutboundMessage.objects.exists()
    with freeze_time(timezone.now() + datetime.timedelta(minutes=2)):
        resend_one_time_code(token=challenge.token)
    assert not OutboundMessage.objects.exists()


def test_a_sign_in_code_for_a_known_phone_is_sent(customer: User) -> None:
    challenge = start_code_sign_in(contact=Contact("sms", customer.phone))
    assert challenge.user == customer
    assert OutboundMessage.objects.filter(recipient=customer.phone, user=customer).count() == 1


def test_a_blocked_login_gets_no_code(customer: User) -> None:
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    start_code_sign_in(contact=Contact("sms", customer.phone))
    assert not OutboundMessage.objects.exists()


def test_the_expiry_follows_the_setting(settings) -> None:  # type: ignore[no-untyped-def]
    settings.IDENTITY_CODE_TTL_SECONDS = 60
    challenge = _send()
    assert challenge.expires_at - challenge.created_at == datetime.timedelta(seconds=60)
    assert challenge.expires_at > timezone.now()
