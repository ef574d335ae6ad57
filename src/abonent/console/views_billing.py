"""The console's billing pages: the charge runs with their progress, and an account's bills and ledger.

Starting a run is for branch heads and administrators; every staff member sees the runs of the
branches they work with. An account's bills and ledger are personal data: each view is audited.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from abonent.billing.models import ChargeRun, LedgerEntry
from abonent.billing.selectors import balance, bills_of_account, ledger_entries
from abonent.billing.services.charge_run import start_charge_run
from abonent.core.audit import record_audit_event
from abonent.core.models import Branch
from abonent.core.periods import BillingPeriod, current_period
from abonent.identity.models import StaffRole, User
from abonent.identity.selectors import AccountAction, account_for_action
from abonent.metering.forms import domain_errors_as_http

staff_only = staff_member_required(login_url="login")
RUNS_SHOWN = 50
LEDGER_SHOWN = 200
STARTERS = {StaffRole.HEAD, StaffRole.ADMINISTRATOR}


def may_start_runs(user: User) -> bool:
    return user.is_superuser or getattr(user, "staff_role", "") in STARTERS


def _branches_for(user: User) -> QuerySet[Branch]:
    branch_id = getattr(user, "branch_id", None)
    branches = Branch.objects.order_by("name")
    return branches.filter(pk=branch_id) if branch_id else branches


class StartRunForm(forms.Form):
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none(), empty_label=None)
    period = forms.CharField(
        label=_("Period"),
        max_length=7,
        help_text=_("The billed month, YYYY-MM, e.g. 2026-10."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "2026-10"}
        ),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = _branches_for(user)  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["period"].initial = str(current_period().previous())

    def clean_period(self) -> BillingPeriod:
        try:
            period = BillingPeriod.parse(self.cleaned_data["period"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if period >= current_period():
            raise forms.ValidationError(gettext("Only a month that has ended can be billed."))
        return period


def _runs(user: User) -> QuerySet[ChargeRun]:
    return ChargeRun.objects.filter(branch__in=_branches_for(user)).select_related("branch", "started_by")[
        :RUNS_SHOWN
    ]


@staff_only
def runs(request: HttpRequest) -> HttpResponse:
    runs = list(_runs(request.user))  # type: ignore[arg-type]  # staff_only: a signed-in User
    context = {
        "runs": runs,
        "refreshing": any(run.status in {ChargeRun.Status.PENDING, ChargeRun.Status.RUNNING} for run in runs),
        "form": StartRunForm(user=request.user) if may_start_runs(request.user) else None,  # type: ignore[arg-type]
    }
    if request.headers.get("HX-Request"):
        return render(request, "console/billing/_runs.html", context)
    return render(request, "console/billing/runs.html", context)


@require_POST
@staff_only
def start_run(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # staff_only: a signed-in User
    if not may_start_runs(user):
        raise PermissionDenied(gettext("Only a branch head or an administrator starts a charge run."))
    form = StartRunForm(request.POST, user=user)
    if not form.is_valid():
        return render(
            request,
            "console/billing/runs.html",
            {"runs": list(_runs(user)), "form": form, "refreshing": False},
        )
    run = start_charge_run(
        branch=form.cleaned_data["branch"], period=form.cleaned_data["period"], started_by=user
    )
    record_audit_event(actor=user, action="start", target=run, reason="charge run", request=request)
    messages.success(
        request,
        gettext("The charge run of %(branch)s for %(period)s is under way.")
        % {"branch": run.branch.name, "period": form.cleaned_data["period"].label()},
    )
    return redirect("console_billing:runs")


@staff_only
def account(request: HttpRequest, account_id: int) -> HttpResponse:
    with domain_errors_as_http():
        found = account_for_action(user=request.user, account_id=account_id, action=AccountAction.VIEW)
    record_audit_event(
        actor=request.user,
        action="view",
        target=found,
        reason="console billing: bills and ledger",
        personal_data=True,
        request=request,
    )
    entries = list(ledger_entries(account=found).order_by("-occurred_on", "-id")[:LEDGER_SHOWN])
    context = {
        "account": found,
        "bills": list(bills_of_account(account=found)[:24]),
        "entries": entries,
        "balance": balance(account=found),
        "kinds": LedgerEntry.Kind,
    }
    return render(request, "console/billing/account.html", context)
