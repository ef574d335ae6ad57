"""Sharing an account: invitations (link or code, once), roles, power-of-attorney periods, revoking."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from freezegun import freeze_time

from abonent.core.errors import NotFound
from abonent.core.models import AuditEvent
from abonent.customers.models import Account
from abonent.identity.errors import (
    AlreadyHasAccess,
    InvitationInvalid,
    LastOwner,
    PeriodInThePast,
    RepresentativeNeedsPeriod,
)
from abonent.identity.models import AccountAccess, User
from abonent.identity.selectors import (
    AccountAction,
    access_for_revocation,
    accesses_on_account,
    accounts_for_user,
    allowed_actions,
    invitation_by_code,
    invitation_by_token,
    person_label,
)
from abonent.identity.services import grant_account_access
from abonent.identity.services.codes import Contact
from abonent.identity.services.sharing import (
    accept_invitation,
    complete_invitation_signup,
    invite_to_account,
    revoke_access,
    revoke_invitation,
    start_invitation_signup,
)
from abonent.identity.shortcodes import format_printable_code
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Role = AccountAccess.Role
TODAY = datetime.date(2026, 3, 2)


def _invite(account: Account, owner: User, role: str = Role.TENANT, **terms):  # type: ignore[no-untyped-def]
    return invite_to_account(account=account, invited_by=owner, role=role, **terms)


def test_an_invitation_by_code_gives_the_role(customer: User, account: Account) -> None:
    issued = _invite(account, customer, Role.VIEWER)
    newcomer = UserFactory()
    invitation = invitation_by_code(code=format_printable_code(issued.code).lower())
    access = accept_invitation(invitation=invitation, user=newcomer)
    assert (access.role, access.granted_by) == (Role.VIEWER, customer)
    assert allowed_actions(user=newcomer, account=account) == {AccountAction.VIEW}
    assert issued.code not in issued.invitation.code_hash


def test_an_invitation_by_link_gives_the_role(customer: User, account: Account) -> None:
    issued = _invite(account, customer)
    newcomer = UserFactory()
    accept_invitation(invitation=invitation_by_token(token=issued.token), user=newcomer)
    assert account in accounts_for_user(user=newcomer)
    assert AccountAction.PAY in allowed_actions(user=newcomer, account=account)


def test_an_invitation_works_once(customer: User, account: Account) -> None:
    issued = _invite(account, customer)
    accept_invitation(invitation=issued.invitation, user=UserFactory())
    with pytest.raises(InvitationInvalid):
        invitation_by_code(code=issued.code)
    with pytest.raises(InvitationInvalid):
        accept_invitation(invitation=issued.invitation, user=UserFactory())


def test_a_forged_or_tampered_link_is_refused(customer: User, account: Account) -> None:
    issued = _invite(account, customer)
    with pytest.raises(InvitationInvalid):
        invitation_by_token(token=issued.token[:-2] + "xx")
    with pytest.raises(InvitationInvalid):
        invitation_by_token(token="1")


def test_an_invitation_expires_after_seven_days(customer: User, account: Account) -> None:
    with freeze_time("2026-03-02 10:00"):
        issued = _invite(account, customer)
    with freeze_time("2026-03-09 10:01"):
        with pytest.raises(InvitationInvalid):
            invitation_by_code(code=issued.code)
        with pytest.raises(InvitationInvalid):
            invitation_by_token(token=issued.token)
        with pytest.raises(InvitationInvalid):
            accept_invitation(invitation=issued.invitation, user=UserFactory())


def test_a_withdrawn_invitation_is_refused(customer: User, account: Account) -> None:
    issued = _invite(account, customer)
    revoke_invitation(invitation=issued.invitation, revoked_by=customer)
    with pytest.raises(InvitationInvalid):
        invitation_by_code(code=issued.code)


def test_accepting_twice_keeps_the_invitation_open(customer: User, tenant: User, account: Account) -> None:
    issued = _invite(account, customer, Role.VIEWER)
    with pytest.raises(AlreadyHasAccess):
        accept_invitation(invitation=issued.invitation, user=tenant)
    assert invitation_by_code(code=issued.code) == issued.invitation


def test_a_representative_needs_a_power_of_attorney(customer: User, account: Account) -> None:
    with pytest.raises(RepresentativeNeedsPeriod):
        _invite(account, customer, Role.REPRESENTATIVE)
    with pytest.raises(RepresentativeNeedsPeriod):
        _invite(
            account, customer, Role.REPRESENTATIVE, valid_until=timezone.localdate(), poa_number="77 АА 1"
        )
    with pytest.raises(PeriodInThePast):
        _invite(account, customer, Role.TENANT, valid_until=timezone.localdate() - datetime.timedelta(days=1))


def test_a_representatives_access_ends_with_the_power_of_attorney(customer: User, account: Account) -> None:
    with freeze_time("2026-03-02 10:00"):
        issued = _invite(
            account,
            customer,
            Role.REPRESENTATIVE,
            valid_until=datetime.date(2026, 6, 30),
            poa_number="66 АА 1234567",
            poa_date=datetime.date(2026, 2, 20),
        )
        representative = UserFactory()
        access = accept_invitation(invitation=issued.invitation, user=representative)
        assert (access.poa_number, access.poa_date, access.valid_until) == (
            "66 АА 1234567",
            datetime.date(2026, 2, 20),
            datetime.date(2026, 6, 30),
        )
        assert AccountAction.EDIT_CONTACTS in allowed_actions(user=representative, account=account)
    with freeze_time("2026-06-30 12:00"):
        assert account in accounts_for_user(user=representative)
    with freeze_time("2026-07-01 09:00"):
        assert account not in accounts_for_user(user=representative)
        # a new power of attorney: the lapsed grant is closed, the new one takes its place
        renewed = _invite(
            account,
            customer,
            Role.REPRESENTATIVE,
            valid_until=datetime.date(2027, 6, 30),
            poa_number="66 АА 7654321",
            poa_date=datetime.date(2026, 6, 25),
        )
        accept_invitation(invitation=renewed.invitation, user=representative)
        assert account in accounts_for_user(user=representative)
    access.refresh_from_db()
    assert access.revoked_at is not None


def test_a_newcomer_without_a_login_accepts_by_code(customer: User, account: Account, sent_code) -> None:  # type: ignore[no-untyped-def]
    issued = _invite(account, customer)
    contact = Contact("sms", "+79120000333")
    challenge = start_invitation_signup(invitation=issued.invitation, contact=contact)
    user, access = complete_invitation_signup(token=challenge.token, code=sent_code(contact.recipient))
    assert user.phone == contact.recipient and user.phone_confirmed_at is not None
    assert access.account == account and access.role == Role.TENANT


def test_the_owner_sees_who_has_access_with_masked_phones(
    customer: User, tenant: User, account: Account
) -> None:
    shown, accesses = accesses_on_account(user=customer, account_id=account.pk)
    labels = {access.user_id: person_label(access.user) for access in accesses}
    assert shown == account
    assert set(labels) == {customer.pk, tenant.pk}
    assert "+7 (912) ***-**-01" in labels[tenant.pk]
    assert tenant.phone not in labels[tenant.pk]


def test_only_an_owner_sees_the_access_list(tenant: User, stranger: User, account: Account) -> None:
    from abonent.identity.selectors import AccountNotFound, ActionNotAllowed

    with pytest.raises(ActionNotAllowed):
        accesses_on_account(user=tenant, account_id=account.pk)
    with pytest.raises(AccountNotFound):
        accesses_on_account(user=stranger, account_id=account.pk)


def test_the_owner_revokes_a_tenant_and_it_is_audited(customer: User, tenant: User, account: Account) -> None:
    access = AccountAccess.objects.get(user=tenant)
    revoke_access(
        access=access_for_revocation(user=customer, account_id=account.pk, access_id=access.pk),
        revoked_by=customer,
    )
    assert account not in accounts_for_user(user=tenant)
    access.refresh_from_db()
    assert access.revoked_by == customer
    event = AuditEvent.objects.get(
        object_type="identity.AccountAccess", object_id=str(access.pk), action="update"
    )
    assert event.actor == customer and event.changes["revoked"] is True


def test_a_tenant_may_leave_but_not_remove_others(customer: User, tenant: User, account: Account) -> None:
    owner_access = AccountAccess.objects.get(user=customer)
    own = AccountAccess.objects.get(user=tenant)
    with pytest.raises(NotFound):
        access_for_revocation(user=tenant, account_id=account.pk, access_id=owner_access.pk)
    assert access_for_revocation(user=tenant, account_id=account.pk, access_id=own.pk) == own


def test_a_stranger_cannot_touch_the_accounts_accesses(
    stranger: User, tenant: User, account: Account
) -> None:
    access = AccountAccess.objects.get(user=tenant)
    with pytest.raises(NotFound):
        access_for_revocation(user=stranger, account_id=account.pk, access_id=access.pk)
    with pytest.raises(NotFound):  # the right access under another account's id is not found either
        access_for_revocation(user=tenant, account_id=account.pk + 1, access_id=access.pk)


def test_the_last_owner_stays_unless_staff_say_otherwise(
    customer: User, operator: User, account: Account
) -> None:
    own = AccountAccess.objects.get(user=customer)
    with pytest.raises(LastOwner):
        revoke_access(access=own, revoked_by=customer)
    co_owner = UserFactory()
    grant_account_access(account=account, user=co_owner, role=Role.OWNER, granted_by=customer)
    revoke_access(access=own, revoked_by=customer)  # another owner remains: allowed
    last = AccountAccess.objects.get(user=co_owner)
    revoke_access(access=last, revoked_by=operator, allow_last_owner=True, reason="flat sold")
    assert not AccountAccess.objects.filter(account=account, revoked_at__isnull=True).exists()


def test_staff_revoke_only_with_the_permission_and_in_their_branch(  # type: ignore[no-untyped-def]
    tenant: User, operator: User, head: User, account: Account, with_role_groups
) -> None:
    access = AccountAccess.objects.get(user=tenant)
    with pytest.raises(NotFound):  # no permission group yet
        access_for_revocation(user=operator, account_id=account.pk, access_id=access.pk)
    assert access_for_revocation(user=with_role_groups(operator), account_id=account.pk, access_id=access.pk)
    assert access_for_revocation(user=with_role_groups(head), account_id=account.pk, access_id=access.pk)


def test_granting_a_live_access_twice_is_a_clear_error(customer: User, account: Account) -> None:
    with pytest.raises(AlreadyHasAccess):
        grant_account_access(account=account, user=customer, role=Role.TENANT)
