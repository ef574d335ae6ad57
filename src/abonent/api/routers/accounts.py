"""Accounts the caller may act on."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from abonent.customers.models import Account
from abonent.customers.selectors import account_cards
from abonent.identity.selectors import account_for_user, accounts_for_user

router = Router(tags=["accounts"])


class AccountOut(Schema):
    id: int
    number: str
    status: str
    branch: str
    customer: str
    address: str
    opened_on: date

    @staticmethod
    def resolve_branch(obj: Account) -> str:
        return obj.branch.code

    @staticmethod
    def resolve_customer(obj: Account) -> str:
        return obj.customer.display_name

    @staticmethod
    def resolve_address(obj: Account) -> str:
        return str(obj.premises)


@router.get("", response=list[AccountOut], url_name="accounts", summary="List accessible accounts")
@paginate(LimitOffsetPagination)
def list_accounts(request: HttpRequest):  # type: ignore[no-untyped-def]  # paginate wraps the return
    return account_cards(accounts=accounts_for_user(user=request.user))


@router.get("/{account_id}", response=AccountOut, url_name="account", summary="One account")
def get_account(request: HttpRequest, account_id: int) -> Account:
    account = account_for_user(user=request.user, account_id=account_id)
    return account_cards(accounts=Account.objects.filter(pk=account.pk)).get()
