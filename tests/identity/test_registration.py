"""Registration: the bill's code (single-use, hashed, reissued by staff) or meter + payment, then a code."""

from __future__ import annotations

from decimal import Decimal

import pytest

from abonent.core.models import AuditEvent
from abonent.customers.models import Account
from abonent.identity.errors import (
    AccountAlreadyRegistered,
    MeterCheckFailed,
    RegistrationRejected,
    VerificationUnavailable,
)
from abonent.identity.models import AccountAccess, RegistrationCode, User
from abonent.identity.selectors import accounts_for_user
from abonent.identity.services.codes import Contact
from abonent.identity.services.registration import (
    Method,
    complete_registration,
    issue_registration_code,
    prove_by_bill_code,
    prove_by_meter_and_payment,
    start_registration,
)
from abonent.identity.shortcodes import PRINTABLE_ALPHABET, format_printable_code
from abonent.identity.verifiers import PaymentCheck
from tests.factories import AccountFactory, MeterFactory, UserFactory

pytestmark = pytest.mark.django_db
PHONE = Contact("sms", "+79120000111")


class MatchingPayments:
    """A payments verifier as the payments app will plug in: the last payment was 1 234,56 ₽."""

    available = True

    def check(self, *, account_id: int, amount: Decimal) -> PaymentCheck:
        return PaymentCheck.MATCH if amount == Decimal("1234.56") else PaymentCheck.MISMATCH


@pytest.fixture
def fresh_account(branch) -> Account:  # type: ignore[no-untyped-def]
    return AccountFactory(number="6600777001", branch=branch)


def _register(account: Account, code: str, sent_code, contact: Contact = PHONE, password: str = ""):  # type: ignore[no-untyped-def]
    proof = prove_by_bill_code(account_number=account.number, code=code)
    challenge = start_registration(proof=proof, contact=contact)
    return complete_registration(token=challenge.token, code=sent_code(contact.recipient), password=password)


def test_the_code_is_eight_printable_characters_and_only_its_hash_is_kept(fresh_account: Account) -> None:
    code = issue_registration_code(account=fresh_account, issued_by=None)
    row = RegistrationCode.objects.get(account=fresh_account)
    assert len(code) == 8 and set(code) <= set(PRINTABLE_ALPHABET)
    assert not set("01IOL") & set(code)
    assert code not in row.code_hash
    assert row.is_active


@pytest.mark.parametrize("spelling", ["plain", "dashed", "lower", "spaced", "cyrillic"])
def test_the_code_is_accepted_as_people_type_it(fresh_account: Account, monkeypatch, spelling: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("abonent.identity.services.registration.new_printable_code", lambda: "KXCM42PA")
    issue_registration_code(account=fresh_account, issued_by=None)
    typed = {
        "plain": "KXCM42PA",
        "dashed": format_printable_code("KXCM42PA"),
        "lower": "kxcm42pa",
        "spaced": " kxcm 42pa ",
        "cyrillic": "КХСМ42РА",  # typed on a Russian layout: К Х С М Р А look like Latin
    }[spelling]
    proof = prove_by_bill_code(account_number=f" {fresh_account.number} ", code=typed)
    assert proof.account_id == fresh_account.pk and proof.method == Method.BILL_CODE


def test_a_wrong_code_or_number_says_the_same(fresh_account: Account) -> None:
    code = issue_registration_code(account=fresh_account, issued_by=None)
    wrong = "22222222" if code != "22222222" else "33333333"
    with pytest.raises(RegistrationRejected):
        prove_by_bill_code(account_number=fresh_account.number, code=wrong)
    with pytest.raises(RegistrationRejected):
        prove_by_bill_code(account_number="6600999999", code=code)
    with pytest.raises(RegistrationRejected):
        prove_by_bill_code(account_number="", code=code)


def test_registration_creates_the_login_and_makes_it_owner(fresh_account: Account, sent_code) -> None:  # type: ignore[no-untyped-def]
    code = issue_registration_code(account=fresh_account, issued_by=None)
    user, access = _register(fresh_account, code, sent_code, password="a-Long-secret-9")
    assert user.phone == PHONE.recipient and user.phone_confirmed_at is not None
    assert user.check_password("a-Long-secret-9")
    assert access.role == AccountAccess.Role.OWNER
    assert list(accounts_for_user(user=user)) == [fresh_account]
    row = RegistrationCode.objects.get(account=fresh_account)
    assert row.used_at is not None and row.used_by == user
    event = AuditEvent.objects.get(object_type="identity.AccountAccess", object_id=str(access.pk))
    assert event.reason == "registration by bill_code"


def test_without_a_password_the_login_signs_in_by_code_only(fresh_account: Account, sent_code) -> None:  # type: ignore[no-untyped-def]
    code = issue_registration_code(account=fresh_account, issued_by=None)
    user, _ = _register(fresh_account, code, sent_code)
    assert not user.has_usable_password()


def test_the_code_is_single_use(fresh_account: Account, sent_code) -> None:  # type: ignore[no-untyped-def]
    code = issue_registration_code(account=fresh_account, issued_by=None)
    _user, access = _register(fresh_account, code, sent_code)
    AccountAccess.objects.filter(pk=access.pk).update(revoked_at=access.created_at)  # even with no owner left
    with pytest.raises(RegistrationRejected):
        prove_by_bill_code(account_number=fresh_account.number, code=code)


def test_two_people_with_one_code_cannot_both_register(fresh_account: Account, sent_code) -> None:  # type: ignore[no-untyped-def]
    code = issue_registration_code(account=fresh_account, issued_by=None)
    first = start_registration(
        proof=prove_by_bill_code(account_number=fresh_account.number, code=code), contact=PHONE
    )
    other = Contact("sms", "+79120000222")
    second = start_registration(
        proof=prove_by_bill_code(account_number=fresh_account.number, code=code), contact=other
    )
    complete_registration(token=first.token, code=sent_code(PHONE.recipient))
    with pytest.raises(RegistrationRejected):
        complete_registration(token=second.token, code=sent_code(other.recipient))
    assert AccountAccess.objects.filter(account=fresh_account).count() == 1


def test_a_reissued_code_replaces_the_old_one_and_is_audited(fresh_account: Account, operator: User) -> None:
    old = issue_registration_code(account=fresh_account, issued_by=None)
    new = issue_registration_code(account=fresh_account, issued_by=operator)
    with pytest.raises(RegistrationRejected):
        prove_by_bill_code(account_number=fresh_account.number, code=old)
    assert prove_by_bill_code(account_number=fresh_account.number, code=new)
    event = AuditEvent.objects.get(object_type="identity.RegistrationCode", actor=operator)
    assert event.reason == "registration code reissued"
    assert new not in str(event.changes) and new not in event.object_label


def test_an_account_with_an_owner_is_not_registered_again(account: Account, customer: User) -> None:
    code = issue_registration_code(account=account, issued_by=None)
    with pytest.raises(AccountAlreadyRegistered):
        prove_by_bill_code(account_number=account.number, code=code)


def test_an_existing_login_gets_the_account_added(fresh_account: Account, stranger: User, sent_code) -> None:  # type: ignore[no-untyped-def]
    code = issue_registration_code(account=fresh_account, issued_by=None)
    user, _ = _register(fresh_account, code, sent_code, contact=Contact("sms", stranger.phone))
    assert user == stranger
    assert fresh_account in accounts_for_user(user=stranger)
    assert User.objects.filter(phone=stranger.phone).count() == 1


def test_registration_by_email(fresh_account: Account, sent_code) -> None:  # type: ignore[no-untyped-def]
    code = issue_registration_code(account=fresh_account, issued_by=None)
    user, _ = _register(fresh_account, code, sent_code, contact=Contact("email", "new@mail.ru"))
    assert (user.email, user.phone, user.username) == ("new@mail.ru", "", "new@mail.ru")
    assert user.email_confirmed_at is not None


def test_without_a_payments_app_the_meter_way_is_unavailable(fresh_account: Account) -> None:
    meter = MeterFactory(account=fresh_account)
    with pytest.raises(VerificationUnavailable):
        prove_by_meter_and_payment(
            account_number=fresh_account.number, meter_serial=meter.serial_number, amount=Decimal("1234.56")
        )


@pytest.fixture
def payments_verifier(settings) -> None:  # type: ignore[no-untyped-def]
    settings.IDENTITY_PAYMENT_VERIFIER = f"{__name__}.MatchingPayments"


def test_meter_and_last_payment_prove_the_account(fresh_account: Account, payments_verifier) -> None:  # type: ignore[no-untyped-def]
    meter = MeterFactory(account=fresh_account, serial_number="0112 345678")
    proof = prove_by_meter_and_payment(
        account_number=fresh_account.number, meter_serial=" 0112 345678 ", amount=Decimal("1234.56")
    )
    assert (proof.account_id, proof.method, proof.registration_code_id) == (
        fresh_account.pk,
        Method.METER_AND_PAYMENT,
        None,
    )
    assert meter.pk


@pytest.mark.parametrize(
    "case", ["another_accounts_meter", "no_such_meter", "wrong_amount", "decommissioned"]
)
def test_meter_way_refuses_what_does_not_match(fresh_account: Account, payments_verifier, case: str) -> None:  # type: ignore[no-untyped-def]
    own = MeterFactory(account=fresh_account)
    foreign = MeterFactory()
    serial, amount = own.serial_number, Decimal("1234.56")
    if case == "another_accounts_meter":
        serial = foreign.serial_number
    elif case == "no_such_meter":
        serial = "NOPE"
    elif case == "wrong_amount":
        amount = Decimal("1000.00")
    else:
        own.status = own.Status.DECOMMISSIONED
        own.save(update_fields=["status"])
    with pytest.raises(MeterCheckFailed):
        prove_by_meter_and_payment(account_number=fresh_account.number, meter_serial=serial, amount=amount)


def test_meter_way_registration_completes(fresh_account: Account, payments_verifier, sent_code) -> None:  # type: ignore[no-untyped-def]
    meter = MeterFactory(account=fresh_account)
    proof = prove_by_meter_and_payment(
        account_number=fresh_account.number, meter_serial=meter.serial_number, amount=Decimal("1234.56")
    )
    challenge = start_registration(proof=proof, contact=PHONE)
    user, access = complete_registration(token=challenge.token, code=sent_code(PHONE.recipient))
    assert access.account == fresh_account and access.role == "owner"
    assert UserFactory._meta.model.objects.filter(pk=user.pk).exists()
