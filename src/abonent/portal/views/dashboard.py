"""The cabinet's first screen: what needs doing now, for one account, a few, or a company's many.

Also the helpers every cabinet page uses: `cabinet_view` (signed-in customers only), `viewer_for`
(what the login may do, in a fixed number of queries) and the account switcher in the header.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Min, OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from abonent.core.freshness import stamp
from abonent.core.models import Branch
from abonent.customers.models import Account
from abonent.customers.selectors import account_cards
from abonent.hints.conditions import CONDITIONS, Scope
from abonent.hints.selectors import (
    AccountSnapshot,
    Attention,
    account_snapshots,
    accounts_needing,
    attention_counts,
    rules_in_force,
    snapshot_accounts,
)
from abonent.hints.services import Hint, evaluate_hints
from abonent.identity.models import User
from abonent.identity.selectors import (
    AccountAction,
    AccountNotFound,
    account_for_user,
    accounts_for_user,
    active_accesses,
    allowed_actions,
    filter_accounts,
)
from abonent.messaging.selectors import unread_count
from abonent.portal.forms import AccountFilterForm
from abonent.portal.page_cache import cached_page

CARD_LIMIT = 5  # up to this many accounts the dashboard shows a card each; more get the combined table
PAGE_SIZE = 20
SWITCHER_LIMIT = 30  # more accounts than this are found through the combined table, not a drop-down
CURRENT_ACCOUNT = "portal:current_account"  # session key: the account the login last chose

View = Callable[..., HttpResponse]


class CabinetRequest(HttpRequest):
    """A request that `cabinet_view` let in: a signed-in customer's."""

    user: User


def cabinet_view(view: View) -> View:
    """Let signed-in customers in; staff work on customers' accounts in the console."""

    @functools.wraps(view)
    def customers_only(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_staff:
            return redirect("console:home")
        return view(request, *args, **kwargs)

    return login_required(customers_only)


@dataclass(frozen=True)
class Viewer:
    """What the signed-in login may do: how many accounts it has, per role what, and for whom it acts."""

    user: User
    account_count: int
    role_actions: dict[str, frozenset[str]]
    customer_ids: list[int]  # customers the login acts for (owner, representative): their mail, contacts
    branch_ids: frozenset[int]  # branches of the login's accounts
    shown_customer_ids: frozenset[int]  # customers of every account the login sees: what its pages show

    def can(self, role: str | None, action: str) -> bool:
        return action in self.role_actions.get(role or "", frozenset())


def viewer_for(user: User) -> Viewer:
    """Return the login's access summary, from the cache while its accesses have not changed."""
    key = f"portal:viewer:{user.pk}:{timezone.localdate()}:{stamp(user_ids=[user.pk])}"
    summary = cache.get(key)
    if summary is None:
        summary = _access_summary(user)
        cache.set(key, summary, timeout=settings.PORTAL_PAGE_CACHE_SECONDS)
    return Viewer(user, *summary)


def _access_summary(user: User) -> tuple[object, ...]:
    """Return Viewer's fields but the user: one query, plus one per distinct role held (at most four)."""
    rows = list(
        active_accesses(user=user)
        .values("role", "account__customer_id", "account__branch_id")
        .annotate(accounts=Count("id"), sample=Min("account_id"))
        .order_by()
    )
    role_actions: dict[str, frozenset[str]] = {}
    for row in rows:
        if row["role"] not in role_actions:
            # The role → actions policy lives in identity; ask it once per role, not once per account.
            role_actions[row["role"]] = allowed_actions(user=user, account=Account(pk=row["sample"]))
    customers = {
        row["account__customer_id"]
        for row in rows
        if AccountAction.EDIT_CONTACTS in role_actions[row["role"]]
    }
    branches = frozenset(row["account__branch_id"] for row in rows)
    shown = frozenset(row["account__customer_id"] for row in rows)
    return sum(row["accounts"] for row in rows), role_actions, sorted(customers), branches, shown


def with_viewer_role(accounts: QuerySet[Account], user: User) -> QuerySet[Account]:
    """Annotate each account with the login's role on it (`viewer_role`), inside the same query."""
    role = active_accesses(user=user).filter(account_id=OuterRef("pk")).values("role")[:1]
    return accounts.annotate(viewer_role=Subquery(role))


# --- What the dashboard shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An account a hint is about, with the hint's action for that account."""

    account: Account
    action_url: str


@dataclass(frozen=True)
class TodoItem:
    """One thing to do; the same advice for several accounts is one item listing each of them."""

    hint: Hint
    targets: list[Target]  # empty: about the customer or the login, not one account


@dataclass(frozen=True)
class AccountCard:
    snapshot: AccountSnapshot
    hints: list[Hint]
    can_submit_readings: bool
    can_edit_contacts: bool
    readings_url: str

    @property
    def account(self) -> Account:
        return self.snapshot.account


@dataclass(frozen=True)
class Board:
    todo: list[TodoItem]  # the most important first
    cards: list[AccountCard]
    unread: int


def build_board(viewer: Viewer, accounts: Sequence[Account], *, shared_only: bool = False) -> Board:
    """Evaluate the hints for the accounts (fetched with snapshot_accounts + with_viewer_role)."""
    unread = unread_count(user_id=viewer.user.pk, customer_ids=viewer.customer_ids)
    snapshots = account_snapshots(accounts=accounts, unread_messages=unread)
    rules = rules_in_force(today=timezone.localdate())
    if shared_only:  # the table shows flags per account; only advice for the whole customer is listed
        rules = [
            rule
            for rule in rules
            if rule.condition in CONDITIONS and CONDITIONS[rule.condition].scope != Scope.ACCOUNT
        ]
    todo: list[TodoItem] = []
    by_advice: dict[tuple[int, str], TodoItem] = {}
    seen: set[tuple[object, ...]] = set()
    evaluated: set[tuple[int, str | None]] = set()
    cards = []
    for snapshot in snapshots:
        role = getattr(snapshot.account, "viewer_role", None)
        once = (snapshot.account.customer_id, role)
        hints = []
        if not shared_only or once not in evaluated:
            evaluated.add(once)
            hints = [
                hint
                for hint in evaluate_hints(snapshot=snapshot, rules=rules)
                if viewer.can(role, hint.requires_action)
            ]
        for hint in hints:
            key = _once_per(hint)
            if key in seen or (shared_only and hint.scope == Scope.ACCOUNT):
                continue
            seen.add(key)
            if hint.scope != Scope.ACCOUNT:
                todo.append(TodoItem(hint, []))
                continue
            target = Target(snapshot.account, hint.action_url)
            if (hint.rule_id, hint.text) in by_advice:
                by_advice[(hint.rule_id, hint.text)].targets.append(target)
                continue
            by_advice[(hint.rule_id, hint.text)] = item = TodoItem(hint, [target])
            todo.append(item)
        cards.append(
            AccountCard(
                snapshot=snapshot,
                hints=hints,
                can_submit_readings=viewer.can(role, AccountAction.SUBMIT_READINGS),
                can_edit_contacts=viewer.can(role, AccountAction.EDIT_CONTACTS),
                readings_url=readings_url(snapshot.account.pk),
            )
        )
    todo.sort(key=lambda item: item.hint.priority)
    return Board(todo=todo, cards=cards, unread=unread)


def _once_per(hint: Hint) -> tuple[object, ...]:
    if hint.scope == Scope.ACCOUNT:
        return (hint.rule_id, "account", hint.account_id)
    if hint.scope == Scope.CUSTOMER:
        return (hint.rule_id, "customer", hint.customer_id)
    return (hint.rule_id, "login")


def readings_url(account_id: int) -> str:
    """Return the page where readings of the account are submitted, when that page exists."""
    for name, kwargs in (("readings:submit", {"account_id": account_id}), ("readings:index", {})):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return ""


# --- The account switcher in the header ------------------------------------------------------------


@dataclass(frozen=True)
class Switcher:
    total: int
    accounts: list[Account]  # empty when there are too many to list
    current: Account | None
    next_url: str

    @property
    def listed(self) -> bool:
        return 1 < self.total <= SWITCHER_LIMIT


def switcher_for(
    request: HttpRequest,
    viewer: Viewer,
    *,
    accounts: Sequence[Account] | None = None,
    current: Account | None = None,
    next_url: str = "",
) -> Switcher:
    """Return the switcher's content; `accounts` are reused when the page already has all of them."""
    listed: list[Account] = []
    if 1 <= viewer.account_count <= SWITCHER_LIMIT:
        if accounts is None or len(accounts) != viewer.account_count:
            accounts = list(account_cards(accounts=accounts_for_user(user=viewer.user))[:SWITCHER_LIMIT])
        listed = list(accounts)
    if current is None and listed:
        chosen = request.session.get(CURRENT_ACCOUNT)
        current = next((account for account in listed if account.pk == chosen), None)
        if viewer.account_count == 1:
            current = listed[0]
    return Switcher(total=viewer.account_count, accounts=listed, current=current, next_url=next_url)


@require_POST
@cabinet_view
def switch_account(request: CabinetRequest) -> HttpResponse:
    """Remember the chosen account and go on to the page asked for, or to the account's own page."""
    raw = request.POST.get("account", "")
    next_url = request.POST.get("next", "")
    if not raw.isdigit():
        request.session.pop(CURRENT_ACCOUNT, None)
        return redirect("portal:dashboard")
    account = _account_or_404(request.user, int(raw))
    remember_account(request, account.pk)
    safe = url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure())
    return redirect(next_url if next_url and safe else reverse("portal:account", args=[account.pk]))


def remember_account(request: HttpRequest, account_id: int) -> None:
    """Make the account the current one for the switcher and the profile (no session write if it is)."""
    if request.session.get(CURRENT_ACCOUNT) != account_id:
        request.session[CURRENT_ACCOUNT] = account_id


def _account_or_404(user: User, account_id: int) -> Account:
    try:
        return account_for_user(user=user, account_id=account_id)
    except AccountNotFound as exc:
        raise Http404(exc.message) from exc


# --- The pages ---------------------------------------------------------------------------------------


@cabinet_view
def dashboard(request: CabinetRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    return cached_page(
        request,
        customer_ids=viewer.shown_customer_ids,
        extra=str(request.session.get(CURRENT_ACCOUNT)),  # the switcher shows the chosen account
        render=lambda: _dashboard(request, viewer),
    )


def _dashboard(request: CabinetRequest, viewer: Viewer) -> HttpResponse:
    if viewer.account_count > CARD_LIMIT:
        return _many_accounts(request, viewer)
    accounts = list(
        with_viewer_role(snapshot_accounts(accounts=accounts_for_user(user=viewer.user)), viewer.user)
    )
    context = {
        "mode": "cards",
        "board": build_board(viewer, accounts),
        "switcher": switcher_for(request, viewer, accounts=accounts),
    }
    return render(request, "portal/dashboard.html", context)


@cabinet_view
def account_overview(request: CabinetRequest, account_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    scope = accounts_for_user(user=viewer.user).filter(pk=account_id)
    accounts = list(with_viewer_role(snapshot_accounts(accounts=scope), viewer.user))
    if not accounts:
        raise Http404(AccountNotFound.default_message)
    remember_account(request, account_id)
    context = {
        "mode": "account",
        "board": build_board(viewer, accounts),
        "switcher": switcher_for(request, viewer, current=accounts[0]),
    }
    return render(request, "portal/dashboard.html", context)


def _many_accounts(request: CabinetRequest, viewer: Viewer) -> HttpResponse:
    """The combined view of a company's accounts: counts, filters, a page of rows with their flags."""
    everything = accounts_for_user(user=viewer.user)
    today = timezone.localdate()
    branches = _branches(everything) if len(viewer.branch_ids) > 1 else []
    form = AccountFilterForm(request.GET or None, branches=branches)
    page = _filtered_page(request, viewer, form, today)
    rows = list(page.object_list)
    counts = attention_counts(accounts=everything, today=today)
    switcher = switcher_for(request, viewer, accounts=rows)
    listed = switcher.accounts or rows
    context = {
        "mode": "many",
        "board": build_board(viewer, rows, shared_only=True),
        # The company's name heads the list when every account is the same customer's.
        "customer": listed[0].customer if listed and len(viewer.customer_ids) == 1 else None,
        "page": page,
        "form": form,
        "counts": counts,
        "attention": [
            (key, label, counts[key], "warning" if key == Attention.VERIFICATION_SOON else "error")
            for key, label in Attention.CHOICES
        ],
        "query": _query_without_page(request),
        "switcher": switcher,
    }
    return render(request, "portal/dashboard.html", context)


def _filtered_page(request: HttpRequest, viewer: Viewer, form: AccountFilterForm, today: date) -> Page:
    filters = form.cleaned_data if form.is_valid() else {}
    accounts = filter_accounts(
        user=viewer.user,
        query=filters.get("number") or "",
        branch_id=filters.get("branch"),
        status=filters.get("status") or "",
        address=filters.get("address") or "",
    )
    if filters.get("attention"):
        accounts = accounts_needing(accounts=accounts, attention=filters["attention"], today=today)
    rows = with_viewer_role(snapshot_accounts(accounts=accounts), viewer.user)
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _branches(accounts: QuerySet[Account]) -> list[tuple[int, str]]:
    return list(
        Branch.objects.filter(pk__in=accounts.values("branch_id")).order_by("name").values_list("pk", "name")
    )


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
