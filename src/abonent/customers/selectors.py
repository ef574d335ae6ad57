"""Reads of customers and accounts, shaped for the pages and the API that show them."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from abonent.customers.models import Account, CustomerMerge, DuplicateCandidate


def account_cards(*, accounts: QuerySet[Account]) -> QuerySet[Account]:
    """Return accounts with what an account card shows, in one query."""
    return accounts.select_related("customer", "branch", "premises__building__district").order_by("number")


def search_accounts(*, accounts: QuerySet[Account], query: str) -> QuerySet[Account]:
    """Find accounts by number prefix, customer name, INN or street, within the given scope."""
    query = query.strip()
    if not query:
        return accounts.none()
    if query.isdigit():
        if len(query) in (10, 12):
            return accounts.filter(Q(customer__inn=query) | Q(number=query))
        return accounts.filter(number__startswith=query)
    for word in query.split()[:3]:
        accounts = accounts.filter(
            Q(customer__last_name__istartswith=word)
            | Q(customer__company_name__icontains=word)
            | Q(premises__building__street__icontains=word)
        )
    return accounts


def account_detail(*, account_id: int) -> Account:
    """Return one account with its customer, contacts, services and meters loaded."""
    return (
        account_cards(accounts=Account.objects.filter(pk=account_id))
        .prefetch_related("customer__contacts", "meters", "account_services__service")
        .get()
    )


def duplicate_queue() -> QuerySet[DuplicateCandidate]:
    """Return the likely duplicates waiting for review, most likely first, with both customers loaded."""
    return (
        DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN)
        .select_related("customer", "duplicate_of")
        .prefetch_related(
            "customer__contacts", "duplicate_of__contacts", "customer__accounts", "duplicate_of__accounts"
        )
        .order_by("-score", "id")
    )


def merge_history(*, limit: int = 20) -> QuerySet[CustomerMerge]:
    """Return the latest merges, newest first, with both customers."""
    return CustomerMerge.objects.select_related("survivor", "merged", "merged_by").order_by("-merged_at")[
        :limit
    ]
