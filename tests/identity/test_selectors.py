"""Who sees which account: the one place where object-level access is decided."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from abonent.customers.models import Account
from abonent.identity.models import AccountAccess, User
from abonent.identity.selectors import AccountNotFound, account_for_user, accounts_for_user, active_accesses
from tests.factories import AccountAccessFactory, AccountFactory, UserFactory


def _visible(user: User) -> set[Account]:
    return set(accounts_for_user(user=user))


def test_the_owner_and_the_tenant_see_the_account(customer: User, tenant: User, account: Account) -> None:
    assert _visible(customer) == {account}
    assert _visible(tenant) == {account}


def test_the_stranger_sees_only_their_own_account(
    stranger: User, account: Account, other_account: Account
) -> None:
    assert _visible(stranger) == {other_account}


def test_anonymous_and_inactive_users_see_nothing(customer: User) -> None:
    assert _visible(AnonymousUser()) == set()
    customer.is_active = False
    assert _visible(customer) == set()


def test_a_revoked_access_is_hidden(customer: User) -> None:
    AccountAccess.objects.filter(user=customer).update(revoked_at=timezone.now())
    assert _visible(customer) == set()


def test_an_expired_access_is_hidden_and_a_future_one_not_yet_shown(db) -> None:
    today = timezone.localdate()
    expired = AccountAccessFactory(valid_until=today - datetime.timedelta(days=1))
    future = AccountAccessFactory(valid_from=today + datetime.timedelta(days=1))
    last_day = AccountAccessFactory(valid_until=today)
    assert _visible(expired.user) == set()
    assert _visible(future.user) == set()
    assert _visible(last_day.user) == {last_day.account}
    assert list(active_accesses(user=last_day.user)) == [last_day]


def test_branch_staff_see_their_branch_only(
    operator: User, specialist: User, account: Account, other_account: Account
) -> None:
    assert _visible(operator) == {account}
    assert _visible(specialist) == {account}


def test_staff_without_a_branch_see_every_branch(
    head: User, admin: User, account: Account, other_account: Account
) -> None:
    assert _visible(head) == {account, other_account}
    assert _visible(admin) == {account, other_account}


def test_account_for_user_returns_an_own_account(customer: User, operator: User, account: Account) -> None:
    assert account_for_user(user=customer, account_id=account.pk) == account
    assert account_for_user(user=operator, account_id=account.pk) == account


def test_a_foreign_account_is_not_found(
    stranger: User, operator: User, account: Account, other_account: Account
) -> None:
    with pytest.raises(AccountNotFound):
        account_for_user(user=stranger, account_id=account.pk)
    with pytest.raises(AccountNotFound):
        account_for_user(user=operator, account_id=other_account.pk)


def test_a_missing_account_is_not_found_either(head: User, db) -> None:
    with pytest.raises(AccountNotFound):
        account_for_user(user=head, account_id=10**9)


def test_a_customer_with_several_accounts_sees_each(db) -> None:
    user = UserFactory()
    accounts = {AccountAccessFactory(user=user).account for _ in range(3)}
    AccountFactory()  # someone else's
    assert _visible(user) == accounts


def test_role_actions_on_the_account(customer, tenant, stranger, operator, account) -> None:  # type: ignore[no-untyped-def]
    from abonent.identity.selectors import (
        AccountAction,
        ActionNotAllowed,
        account_for_action,
        allowed_actions,
    )

    assert AccountAction.MANAGE_ACCESS in allowed_actions(user=customer, account=account)
    assert AccountAction.SUBMIT_READINGS in allowed_actions(user=tenant, account=account)
    assert AccountAction.MANAGE_ACCESS not in allowed_actions(user=tenant, account=account)
    assert allowed_actions(user=stranger, account=account) == frozenset()
    assert AccountAction.MANAGE_ACCESS not in allowed_actions(user=operator, account=account)
    with pytest.raises(ActionNotAllowed):
        account_for_action(user=tenant, account_id=account.pk, action=AccountAction.MANAGE_ACCESS)
