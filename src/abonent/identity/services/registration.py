"""Registration in the cabinet: prove the account (bill code, or meter + last payment), then the contact."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from abonent.core.audit import record_audit_event
from abonent.core.models import AuditEvent
from abonent.customers.models import Account
from abonent.identity.errors import (
    AccountAlreadyRegistered,
    MeterCheckFailed,
    RegistrationRejected,
    VerificationUnavailable,
)
from abonent.identity.models import AccountAccess, OneTimeCode, RegistrationCode, User
from abonent.identity.services import create_customer_user, grant_account_access
from abonent.identity.services.codes import (
    Contact,
    mark_contact_confirmed,
    send_one_time_code,
    user_for_contact,
    verify_one_time_code,
)
from abonent.identity.shortcodes import keyed_hash, matches, new_printable_code, normalize_printable_code
from abonent.identity.verifiers import PaymentCheck, meter_belongs_to_account, payment_verifier


class Method:
    BILL_CODE = "bill_code"
    METER_AND_PAYMENT = "meter_and_payment"


@dataclass(frozen=True)
class AccountProof:
    """What showed the person holds the account; the registration code is used up on completion."""

    account_id: int
    method: str
    registration_code_id: int | None = None


def issue_registration_code(*, account: Account, issued_by: User | None) -> str:
    """Create the account's registration code, replacing earlier ones, and return it (shown once)."""
    raw = new_printable_code()
    with transaction.atomic():
        RegistrationCode.objects.filter(
            account=account, used_at__isnull=True, replaced_at__isnull=True
        ).update(replaced_at=timezone.now())
        code = RegistrationCode.objects.create(
            account=account, code_hash=_code_hash(account.pk, raw), issued_by=issued_by
        )
        if issued_by is not None:  # a bill run prints millions; a person's reissue is what needs a trace
            record_audit_event(
                actor=issued_by,
                action=AuditEvent.Action.CREATE,
                target=code,
                reason="registration code reissued",
                changes={"account": account.pk},
            )
    return raw


def prove_by_bill_code(*, account_number: str, code: str) -> AccountProof:
    """Return the proof if the code from the bill is the account's live one, else RegistrationRejected."""
    account = _account(account_number)
    normalized = normalize_printable_code(code)
    if account is None:
        _code_hash(0, normalized)  # the same work whether or not the number exists
        raise RegistrationRejected()
    live = RegistrationCode.objects.filter(account=account, used_at__isnull=True, replaced_at__isnull=True)
    for candidate in live:
        if matches("registration-code", f"{account.pk}:{normalized}", candidate.code_hash):
            _refuse_if_owned(account)
            return AccountProof(account.pk, Method.BILL_CODE, candidate.pk)
    raise RegistrationRejected()


def prove_by_meter_and_payment(*, account_number: str, meter_serial: str, amount: Decimal) -> AccountProof:
    """Return the proof if the meter is on the account and the amount is its last payment."""
    verifier = payment_verifier()
    if not verifier.available:
        raise VerificationUnavailable()
    account = _account(account_number)
    if account is None or not meter_belongs_to_account(account=account, serial_number=meter_serial):
        raise MeterCheckFailed()
    result = verifier.check(account_id=account.pk, amount=amount)
    if result is PaymentCheck.UNAVAILABLE:
        raise VerificationUnavailable()
    if result is not PaymentCheck.MATCH:
        raise MeterCheckFailed()
    _refuse_if_owned(account)
    return AccountProof(account.pk, Method.METER_AND_PAYMENT)


def start_registration(*, proof: AccountProof, contact: Contact) -> OneTimeCode:
    """Send a code to the phone or e-mail that will become the login."""
    payload = {
        "account_id": proof.account_id,
        "method": proof.method,
        "registration_code_id": proof.registration_code_id,
    }
    return send_one_time_code(
        purpose=OneTimeCode.Purpose.REGISTRATION,
        contact=contact,
        user=user_for_contact(contact),
        payload=payload,
    )


def complete_registration(*, token: str, code: str, password: str = "") -> tuple[User, AccountAccess]:
    """Check the code, create the login (or reuse the contact's one) and make it the account's owner."""
    challenge = verify_one_time_code(token=token, purpose=OneTimeCode.Purpose.REGISTRATION, code=code)
    contact = Contact(challenge.channel, challenge.recipient)
    payload = challenge.payload
    with transaction.atomic():
        # Lock the account row: two people finishing registration at once cannot both become owners.
        account = Account.objects.select_for_update().get(pk=payload["account_id"])
        registration_code_id = payload.get("registration_code_id")
        if registration_code_id and not _use_registration_code(registration_code_id):
            raise RegistrationRejected()
        _refuse_if_owned(account)
        user = user_for_contact(contact) or create_login_for_contact(contact, password)
        if password and not user.has_usable_password():
            user.set_password(password)
            user.save(update_fields=["password"])
        if registration_code_id:
            RegistrationCode.objects.filter(pk=registration_code_id).update(used_by=user)
        access = grant_account_access(
            account=account,
            user=user,
            role=AccountAccess.Role.OWNER,
            reason=f"registration by {payload.get('method', Method.BILL_CODE)}",
        )
    mark_contact_confirmed(user=user, contact=contact)
    return user, access


def _account(account_number: str) -> Account | None:
    number = "".join(ch for ch in (account_number or "") if ch.isdigit())
    return Account.objects.filter(number=number).first() if number else None


def _code_hash(account_id: int, raw: str) -> str:
    return keyed_hash("registration-code", f"{account_id}:{raw}")


def _refuse_if_owned(account: Account) -> None:
    today = timezone.localdate()
    owners = AccountAccess.objects.filter(
        account=account, role=AccountAccess.Role.OWNER, revoked_at__isnull=True, valid_from__lte=today
    ).exclude(valid_until__lt=today)
    if owners.exists():
        raise AccountAlreadyRegistered()


def _use_registration_code(registration_code_id: int) -> bool:
    used = RegistrationCode.objects.filter(
        pk=registration_code_id, used_at__isnull=True, replaced_at__isnull=True
    ).update(used_at=timezone.now())
    return used == 1


def create_login_for_contact(contact: Contact, password: str) -> User:
    """Create a customer login named by the confirmed phone or e-mail."""
    if contact.is_phone:
        return create_customer_user(phone=contact.recipient, first_name="", last_name="", password=password)
    return create_customer_user(email=contact.recipient, first_name="", last_name="", password=password)
