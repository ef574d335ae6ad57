"""The console's integration pages: imports (upload, live progress, report, quarantine) and duplicates.

Only integration admins (permission integration.administer_integration) and superusers see them;
anyone else gets "not found", so the pages do not even confirm they exist. Pages that show a
customer's personal data (quarantined rows, duplicate pairs) write an audit event.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from abonent.core.audit import record_audit_event
from abonent.core.errors import DomainError
from abonent.core.models import AuditEvent
from abonent.customers.dedup import decide_distinct as decide_distinct_pair
from abonent.customers.dedup import merge_customers, unmerge_customers
from abonent.customers.models import Customer, CustomerMerge, DuplicateCandidate
from abonent.customers.selectors import duplicate_queue, merge_history
from abonent.integration.bundles import start_bundle_import
from abonent.integration.fields import fields_for
from abonent.integration.models import ImportProfile, ImportRun, QuarantinedRow
from abonent.integration.selectors import (
    can_administer_integration,
    open_quarantine,
    recent_runs,
    runs_needing_attention,
)
from abonent.integration.services import dismiss_quarantined_row, fix_quarantined_row, start_import

staff_only = staff_member_required(login_url="login")


def _admin_only(request: HttpRequest) -> None:
    if not can_administer_integration(request.user):
        raise Http404(gettext("Not found."))


class UploadForm(forms.Form):
    profile = forms.ModelChoiceField(
        label=_("Import profile"),
        queryset=ImportProfile.objects.filter(is_active=True).select_related("source"),
    )
    file = forms.FileField(
        label=_("Export file (CSV or XLSX)"),
        help_text=_("For a documents manifest: a ZIP with the manifest and the files it lists."),
    )
    initial_load = forms.BooleanField(
        label=_("First load into empty tables"),
        required=False,
        help_text=_(
            "Faster for the first import of customers and accounts: indexes are built once at the end."
            " Taken only while no customers exist yet and no other first load runs; otherwise the import"
            " runs as usual."
        ),
    )


@staff_only
def index(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        run = _start_upload(request, data["profile"], data["file"], initial_load=data["initial_load"])
        if run is not None:
            return redirect("console_integration:run", import_run_id=run.pk)
    context = {
        "form": form,
        "runs": recent_runs(limit=30),
        "attention": runs_needing_attention()[:10],
        "open_duplicates": DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN).count(),
    }
    return render(request, "console/integration/index.html", context)


def _start_upload(
    request: HttpRequest, profile: ImportProfile, upload: Any, *, initial_load: bool
) -> ImportRun | None:
    suffix = Path(upload.name).suffix.lower()[:6]
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as handle:
        for part in upload.chunks():
            handle.write(part)
        path = Path(handle.name)
    details = {"path": path, "channel": ImportRun.Channel.UPLOAD, "created_by": request.user}
    try:
        with transaction.atomic():
            if suffix == ".zip":  # a documents manifest with its files
                return start_bundle_import(profile=profile, original_name=upload.name, **details)
            return start_import(
                profile=profile, original_name=upload.name, initial_load=initial_load, **details
            )
    except DomainError as error:
        messages.error(request, error.message)
        return None
    finally:
        path.unlink(missing_ok=True)


@staff_only
def run(request: HttpRequest, import_run_id: int) -> HttpResponse:
    _admin_only(request)
    found = get_object_or_404(ImportRun.objects.select_related("profile__source"), pk=import_run_id)
    context = {"run": found, "rules": sorted((found.rules or {}).items(), key=lambda kv: -kv[1])}
    return render(request, "console/integration/run.html", context)


@staff_only
def progress(request: HttpRequest, import_run_id: int) -> HttpResponse:
    """The live progress fragment, polled by htmx every second while the run is not done."""
    _admin_only(request)
    found = get_object_or_404(ImportRun, pk=import_run_id)
    response = render(request, "console/integration/_progress.html", {"run": found})
    if found.done and request.htmx:
        response["HX-Refresh"] = "true"  # reload once to show the full report
    return response


@staff_only
def quarantine(request: HttpRequest, import_run_id: int) -> HttpResponse:
    _admin_only(request)
    found = get_object_or_404(ImportRun.objects.select_related("profile__source"), pk=import_run_id)
    page = Paginator(open_quarantine(run=found), 25).get_page(request.GET.get("page"))
    record_audit_event(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        target=found,
        reason="console: quarantined import rows",
        personal_data=True,
        request=request,
    )
    return render(request, "console/integration/quarantine.html", {"run": found, "page": page})


@staff_only
def quarantined_row(request: HttpRequest, quarantined_id: int) -> HttpResponse:
    _admin_only(request)
    row = get_object_or_404(QuarantinedRow.objects.select_related("run__profile__source"), pk=quarantined_id)
    names = [spec.name for spec in fields_for(row.run.kind)]
    if request.method == "POST":
        if "dismiss" in request.POST:
            _dismiss(request, row)
            return redirect("console_integration:quarantine", import_run_id=row.run_id)
        values = {name: request.POST.get(name, "") for name in names}
        try:
            row = fix_quarantined_row(row=row, values=values, fixed_by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            if row.status == QuarantinedRow.Status.APPLIED:
                messages.success(request, gettext("The row was corrected and applied."))
                return redirect("console_integration:quarantine", import_run_id=row.run_id)
            messages.error(request, gettext("The row is still refused; see the reasons."))
    else:
        record_audit_event(
            actor=request.user,
            action=AuditEvent.Action.VIEW,
            target=row,
            reason="console: quarantined import row",
            personal_data=True,
            request=request,
        )
    fields = [(name, row.data.get(name, ""), row.diff.get(name)) for name in names]
    return render(request, "console/integration/row.html", {"row": row, "fields": fields})


def _dismiss(request: HttpRequest, row: QuarantinedRow) -> None:
    try:
        dismiss_quarantined_row(row=row, dismissed_by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("The row was dismissed."))


@staff_only
def duplicates(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    page = Paginator(duplicate_queue(), 20).get_page(request.GET.get("page"))
    for pair in page:
        pair.customers = [pair.duplicate_of, pair.customer]  # type: ignore[attr-defined]  # shown side by side
        record_audit_event(
            actor=request.user,
            action=AuditEvent.Action.VIEW,
            target=pair,
            reason="console: duplicate review queue",
            personal_data=True,
            request=request,
        )
    context = {"page": page, "merges": merge_history(limit=10)}
    return render(request, "console/integration/duplicates.html", context)


@staff_only
@require_POST
def decide(request: HttpRequest, duplicate_id: int) -> HttpResponse:
    """Merge the pair (the older customer survives) or record that they are different customers."""
    _admin_only(request)
    pair = get_object_or_404(
        DuplicateCandidate.objects.select_related("customer", "duplicate_of"),
        pk=duplicate_id,
        status=DuplicateCandidate.Status.OPEN,
    )
    try:
        if request.POST.get("decision") == "merge":
            survivor, merged = _survivor(pair.customer, pair.duplicate_of)
            merge_customers(
                survivor=survivor, merged=merged, merged_by=request.user, reason="duplicate review"
            )
            messages.success(request, gettext("Customers merged; the merge can be undone for 90 days."))
        else:
            decide_distinct_pair(candidate=pair, decided_by=request.user)
            messages.success(request, gettext("Marked as different customers."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("console_integration:duplicates")


def _survivor(one: Customer, other: Customer) -> tuple[Customer, Customer]:
    return (one, other) if one.pk < other.pk else (other, one)


@staff_only
@require_POST
def unmerge(request: HttpRequest, merge_id: int) -> HttpResponse:
    _admin_only(request)
    merge = get_object_or_404(CustomerMerge, pk=merge_id)
    try:
        unmerge_customers(merge=merge, undone_by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("The merge was undone."))
    return redirect("console_integration:duplicates")
